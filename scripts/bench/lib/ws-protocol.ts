/** What ws.ts asks its load-generator processes (ws-load-worker.ts) over IPC, and what they answer. */

/** Where a worker connects: the proxy's port and the Host header that routes to the echo upstream. */
export interface WsTarget {
  port: number;
  host: string;
}

export type WorkerCommand =
  /** Opens `count` WebSockets (at most `concurrency` handshakes at once) and holds them. */
  | { kind: 'open'; target: WsTarget; count: number; concurrency: number }
  /** One echo on every held socket. */
  | { kind: 'check'; concurrency: number }
  /**
   * The first `sockets` held sockets each send a small frame `hz` times a second and wait for its echo,
   * for `durationMs` or until a `stop`.
   */
  | { kind: 'type'; sockets: number; hz: number; durationMs: number }
  /** Ends a running `type` early. */
  | { kind: 'stop' }
  /** A fresh socket asks the upstream for `bytes` in 64 KiB binary frames and reads them all. */
  | { kind: 'burst'; target: WsTarget; bytes: number }
  /** `count` WebSockets opened and closed again (close handshake), `concurrency` at a time. */
  | { kind: 'churn'; target: WsTarget; count: number; concurrency: number }
  /** Drops every held socket (TCP reset, no close handshake). */
  | { kind: 'drop' };

export interface OpenResult {
  opened: number;
  failed: number;
  firstError?: string;
}
export interface CheckResult {
  echoed: number;
  failed: number;
}
export interface TypeResult {
  /** Round-trip times in ms of every echo received. */
  latenciesMs: number[];
  /** Frames whose echo did not come back before the next was due or the end. */
  missed: number;
}
export interface BurstResult {
  bytes: number;
  ms: number;
}
export interface ChurnResult {
  done: number;
  failed: number;
  firstError?: string;
}

/** One request from the parent: `id` pairs it with its reply. */
export interface WorkerRequest {
  id: number;
  command: WorkerCommand;
}
export type WorkerReply = { id: number; result: unknown } | { id: number; error: string };

/** The text frame that asks the echo upstream for a burst: `burst:<bytes>`; it ends it with BURST_END. */
export const BURST_PREFIX = 'burst:';
export const BURST_END = 'burst-end';
