import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Launched, launchPinned, waitForHttp } from './launch.ts';

/** Body of the small response: exactly 100 bytes. */
export const SMALL_BODY = `${'x'.repeat(99)}\n`;
export const LARGE_BODY_BYTES = 65_536;

/**
 * Lines shared by the origin and the proxy nginx: one worker, no daemon, everything under `dir`,
 * no access log, and keep-alive connections that are never recycled (nginx's default of 1,000 requests a
 * connection would make wrk reconnect all the time and measure connection set-up instead).
 */
function commonConfig(
  dir: string,
  httpBlock: string,
  workerConnections = 4096,
  descriptorLimit?: number,
): string {
  const rlimit = descriptorLimit ? `worker_rlimit_nofile ${descriptorLimit};\n` : '';
  return `daemon off;
master_process on;
worker_processes 1;
${rlimit}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_timeout 75s;
  keepalive_requests 10000000;
${httpBlock}
}
`;
}

/** A fresh directory readable by nginx's unprivileged worker (mkdtemp makes 0700). */
function nginxDir(parent: string, prefix: string): string {
  const dir = mkdtempSync(join(parent, prefix));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'tmp'), 0o777);
  return dir;
}

export function originConfig(dir: string, port: number): string {
  return commonConfig(
    dir,
    `  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${dir}/www;
    location /files/ { }
    location / { default_type text/plain; return 200 "${SMALL_BODY.slice(0, -1)}\\n"; }
  }`,
  );
}

export function proxyConfig(dir: string, port: number, originPort: number): string {
  return commonConfig(
    dir,
    `  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }`,
  );
}

/**
 * nginx proxying WebSockets as its documentation does it (Upgrade and Connection passed on, keep-alive
 * for plain requests), with room for `sockets` WebSockets and hour-long idle timeouts. The worker raises
 * its descriptor limit to `descriptorLimit` (not above the hard limit: setrlimit would fail).
 */
export function webSocketProxyConfig(
  dir: string,
  port: number,
  originPort: number,
  sockets: number,
  descriptorLimit: number,
): string {
  return commonConfig(
    dir,
    `  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }`,
    // Two connections per WebSocket; nginx starts closing connections it deems reusable when fewer than
    // a 16th are free ("worker_connections are not enough"), which cut handshakes off at 9,000 sockets.
    Math.ceil((2 * sockets * 17) / 16) + 1000,
    descriptorLimit,
  );
}

export interface RunningNginx {
  port: number;
  dir: string;
  launched: Launched;
}

/** Writes the config and starts an nginx master (1 worker) pinned to `cpus`, ready when it answers. */
export async function startNginx(options: {
  parentDir: string;
  name: string;
  cpus: string;
  port: number;
  render: (dir: string) => string;
  prepare?: (dir: string) => void;
}): Promise<RunningNginx> {
  const dir = nginxDir(options.parentDir, `${options.name}-`);
  options.prepare?.(dir);
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, options.render(dir));
  const launched = launchPinned({
    cpus: options.cpus,
    command: 'nginx',
    args: ['-p', dir, '-c', configPath, '-e', `${dir}/error.log`],
    logDir: dir,
    name: 'stdout',
  });
  await waitForHttp(launched, options.port, '/');
  return { port: options.port, dir, launched };
}

/** Creates the 64 KiB static file the origin serves under /files/. */
export function writeOriginFiles(dir: string): void {
  mkdirSync(join(dir, 'www', 'files'), { recursive: true });
  chmodSync(join(dir, 'www'), 0o755);
  chmodSync(join(dir, 'www', 'files'), 0o755);
  const path = join(dir, 'www', 'files', '64k.bin');
  writeFileSync(path, Buffer.alloc(LARGE_BODY_BYTES, 'y'));
  chmodSync(path, 0o644);
}
