import { freePort } from './launch.ts';
import { originConfig, type RunningNginx, startNginx, writeOriginFiles } from './nginx.ts';
import type { Origin } from './proxy-under-test.ts';

export interface RunningOrigin extends Origin {
  nginx: RunningNginx;
  stop(): Promise<void>;
}

/** The origin: nginx with one worker, sharing `cpus` with wrk, up for the whole run. */
export async function startOrigin(parentDir: string, cpus: string): Promise<RunningOrigin> {
  const port = await freePort();
  const nginx = await startNginx({
    parentDir,
    name: 'origin',
    cpus,
    port,
    prepare: writeOriginFiles,
    render: (dir) => originConfig(dir, port),
  });
  return {
    port,
    smallPath: '/',
    largePath: '/files/64k.bin',
    nginx,
    stop: () => nginx.launched.stop(),
  };
}
