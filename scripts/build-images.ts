/**
 * Builds the images: compiles the agent with Bun for glibc and musl, bundles the gateway for Node
 * (scripts/build-gateway.ts), lays out one Docker build context per image under <out>/images/, then runs
 * `docker build` where an engine answers, or prints the exact commands. Also reports the binary sizes
 * and the agent's resident memory while idle.
 *
 *   bun scripts/build-images.ts [--out dist] [--no-docker] [--no-measure]
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { imageRegistry } from '../images/registry.ts';
import { buildGatewayBundle } from './build-gateway.ts';

const ROOT = resolve(import.meta.dirname, '..');
const AGENT_ENTRY = join(ROOT, 'images/agent/main.ts');
const TARGETS = { glibc: 'bun-linux-x64', musl: 'bun-linux-x64-musl' } as const;
type Libc = keyof typeof TARGETS;

interface Options {
  out: string;
  docker: boolean;
  measure: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { out: join(ROOT, 'dist'), docker: true, measure: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out' && argv[i + 1]) options.out = resolve(argv[++i] ?? '');
    else if (arg === '--no-docker') options.docker = false;
    else if (arg === '--no-measure') options.measure = false;
    else {
      process.stderr.write(`build-images: unknown argument "${arg}"\n`);
      process.exit(2);
    }
  }
  return options;
}

/** Bun itself when running under Bun, else the project's npm-installed binary. */
function bunBinary(): string {
  return process.versions.bun ? process.execPath : join(ROOT, 'node_modules/.bin/bun');
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.error})`);
}

/** Compiles the agent for one libc; returns the binary's path. */
function compileAgent(out: string, libc: Libc): string {
  const outfile = join(out, 'agent', `demiurge-agent-${libc}`);
  mkdirSync(join(out, 'agent'), { recursive: true });
  run(bunBinary(), [
    'build',
    '--compile',
    '--minify',
    `--target=${TARGETS[libc]}`,
    AGENT_ENTRY,
    '--outfile',
    outfile,
  ]);
  return outfile;
}

/** A build-context folder name: the image id with ':' made path- and docker-friendly. */
const contextName = (id: string) => id.replace(':', '-');

/** Copies a user image's Dockerfile, entrypoint, the shim and the right agent into its context. */
function layoutUserImage(out: string, dockerfileDir: string, id: string, agent: string): string {
  const context = join(out, 'images', contextName(id));
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  // Dockerfile, entrypoint and whatever else the image's folder holds (pgadmin4: its OAUTH2 config writer).
  for (const file of readdirSync(join(ROOT, 'images', dockerfileDir)))
    copyFileSync(join(ROOT, 'images', dockerfileDir, file), join(context, file));
  copyFileSync(join(ROOT, 'images/demiurge-functions.sh'), join(context, 'demiurge-functions.sh'));
  copyFileSync(agent, join(context, 'demiurge-agent'));
  chmodSync(join(context, 'demiurge-agent'), 0o755);
  chmodSync(join(context, 'entrypoint.sh'), 0o755);
  return context;
}

/**
 * The gateway's context: its Dockerfile, the bundle (dist/gateway/main.mjs, built here), the lockfile its
 * npm packages install from, and the package.json and redis/*.lua the bundle reads from `../../`.
 */
async function layoutGateway(out: string): Promise<string> {
  const context = join(out, 'images', 'gateway');
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  for (const file of ['Dockerfile', 'entrypoint.sh'])
    copyFileSync(join(ROOT, 'images/gateway', file), join(context, file));
  for (const file of ['package.json', 'package-lock.json'])
    copyFileSync(join(ROOT, file), join(context, file));
  cpSync(join(ROOT, 'redis'), join(context, 'redis'), { recursive: true });
  await buildGatewayBundle(join(context, 'dist/gateway/main.mjs'));
  return context;
}

const dockerAnswers = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** Resident memory (KiB) of the glibc agent idling in back-off against a closed loopback port. */
async function measureIdleRss(agent: string): Promise<{ rssKib: number; exitOnSigterm: number | null }> {
  const settings = Buffer.from(
    JSON.stringify({
      user_id: 'measure',
      frontend_fqdn: 'localhost',
      ganymede_fqdn: 'localhost',
      gateway_fqdn: 'localhost',
      token: 'measure',
      project_id: 'measure',
      user_container_id: 'measure',
    }),
  ).toString('base64');
  const child = spawn(agent, ['run', '--service', 'terminal:7681'], {
    stdio: 'ignore',
    env: {
      SETTINGS: settings,
      // Port 9 on loopback: nothing listens, every attempt fails fast and the agent idles in back-off.
      DEMIURGE_GATEWAY_URL: 'http://127.0.0.1:9',
      DEMIURGE_EVENTS_URL: 'http://127.0.0.1:9/collab/event',
      PATH: process.env.PATH,
    },
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise((done) => setTimeout(done, 2_000));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  child.kill('SIGTERM');
  return { rssKib, exitOnSigterm: await exited };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const agents = { glibc: compileAgent(options.out, 'glibc'), musl: compileAgent(options.out, 'musl') };
  const builds: { tag: string; context: string; args: string[] }[] = [
    { tag: 'demiurge/gateway:latest', context: await layoutGateway(options.out), args: [] },
  ];
  for (const image of imageRegistry().images) {
    const context = layoutUserImage(options.out, image.dockerfileDir, image.id, agents[image.libc]);
    const args = Object.entries(image.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    builds.push({ tag: image.image, context, args });
  }
  const report: Record<string, unknown> = {
    agent: Object.fromEntries(
      Object.entries(agents).map(([libc, path]) => [libc, { path, bytes: statSync(path).size }]),
    ),
    contexts: builds.map((b) => b.context),
  };
  if (options.measure) report.idle = await measureIdleRss(agents.glibc);
  const commands = builds.map((b) => ['docker', 'build', '-t', b.tag, ...b.args, b.context]);
  if (options.docker && dockerAnswers()) {
    for (const [command, ...args] of commands) run(command ?? 'docker', args);
    report.docker = 'built';
  } else {
    report.docker = 'no engine answered `docker info`: run these commands where one does';
    process.stdout.write(`${commands.map((c) => c.join(' ')).join('\n')}\n`);
  }
  writeFileSync(join(options.out, 'images', 'build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
