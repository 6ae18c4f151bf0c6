/**
 * `npm run build`'s bundle (scripts/build-gateway.ts) runs on plain Node, as the image runs it: built into
 * a fresh folder two levels below the root, started on the embedded store, it answers /healthz, reports
 * the package.json version, and proxies a request to a registered service. The files it reads at run time
 * (`../../redis/*.lua`, `../../package.json`) resolve from where it sits.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGatewayBundle } from '../../scripts/build-gateway.ts';
import { hostOf, register } from '../proxy/proxy-suite.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('the gateway bundle on Node', () => {
  let dir: string;
  let bundle: string;
  let up: TestUpstream;
  let gw: GatewayProcess;

  beforeAll(async () => {
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'dist', 'bundle-test-'));
    bundle = join(dir, 'main.mjs');
    await buildGatewayBundle(bundle);
    up = await startUpstream();
    gw = await startGateway('node', {}, [process.execPath, bundle]);
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the files it reads relative to itself', () => {
    const text = readFileSync(bundle, 'utf8');
    const reads = [...text.matchAll(/new URL\([`"](\.\.\/\.\.\/[^`"$]+)/g)].map((m) => m[1] as string);
    expect(reads).toEqual(expect.arrayContaining(['../../package.json', '../../redis/']));
    for (const path of reads) expect(existsSync(new URL(path, `file://${bundle}`))).toBe(true);
  });

  it('answers /healthz and reports the package version', async () => {
    expect((await fetch(`${gw.base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(metrics).toContain(`gateway_build_info{version="${version}",runtime="node"`);
  });

  it('proxies a request to a registered service', async () => {
    await register(gw, 'bundle1', 'web', up.port);
    // undici's request: fetch would send its own Host.
    const res = await request(`${gw.base}/echo?x=1`, { headers: { host: hostOf('bundle1') } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('/echo?x=1');
  });
});
