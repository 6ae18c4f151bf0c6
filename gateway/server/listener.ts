/** What every runtime adapter returns: the bound addresses and a way to stop. */
export interface RunningServer {
  publicPort: number;
  adminPort: number;
  close(): Promise<void>;
}
