import type { StartContext } from './proxy-under-test.ts';
import type { WsLoads } from './ws-options.ts';
import type { LoadWorker } from './ws-workers.ts';

/** One repetition of one proxy: figures by name (undefined where not measurable, e.g. CPU of direct). */
export interface WsSample {
  proxy: string;
  repetition: number;
  figures: Record<string, number | undefined>;
  notes: string[];
}

export interface WsRig {
  context: StartContext;
  loads: WsLoads;
  /** Workers holding the sockets; `burster` receives the burst alone. */
  holders: readonly LoadWorker[];
  burster: LoadWorker;
  loadCpus: string;
}
