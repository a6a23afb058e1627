// The sync job behind an egress proxy (issue 14 §1): the real program, spawned with HTTPS_PROXY, HTTP_PROXY
// and NO_PROXY as a sync pod gets them, reaches an https:// Freshdesk through a CONNECT proxy on loopback and
// trusts its private CA through NODE_EXTRA_CA_CERTS (the README's CA-bundle recipe), while a NO_PROXY host
// (the sink) is reached directly.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConfig } from '../../sync-job/contract.js';
import { generatePki, type Pki } from '../controlplane/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startTlsFront, type TlsFront } from '../support/tls-front.js';
import { apiKey, seedTickets, sinkToken, spawnJob, startWorld, tempDir, type World } from './support.js';

let world: World;
let proxy: ConnectProxy;
let front: TlsFront;
let pki: Pki;
let dir: string;
let configPath: string;

beforeAll(async () => {
  world = await startWorld();
  seedTickets(world, 5);
  dir = tempDir();
  pki = await generatePki(join(dir, 'pki'));
  front = await startTlsFront(world.fake.baseUrl, { certFile: pki.apiserverCert, keyFile: pki.apiserverKey });
  proxy = await startConnectProxy();
  const config: JobConfig = {
    tenantId: 'acme',
    source: { type: 'freshdesk', baseUrl: front.url, streams: [{ name: 'tickets', intervalSeconds: 60 }] },
    sink: { type: 'http', url: world.sink.url },
  };
  configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
}, 60_000);

afterAll(async () => {
  await Promise.all([proxy?.close(), front?.close(), world?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sinkOrigin = () => new URL(world.sink.url);

/** One run of the real program with the pod's env: credentials, the CA bundle and the given proxy variables. */
async function run(proxyEnv: Record<string, string>) {
  const before = { tunnels: proxy.tunnels.length, forwarded: proxy.forwarded.length, posts: world.sink.attempts.length };
  const exit = await spawnJob(['--config', configPath, '--force'], {
    TENANTSYNC_SOURCE_API_KEY: apiKey,
    TENANTSYNC_SINK_TOKEN: sinkToken,
    NODE_EXTRA_CA_CERTS: pki.servingCaCert,
    ...proxyEnv,
  }).done;
  return {
    exit,
    tunnels: proxy.tunnels.slice(before.tunnels),
    forwarded: proxy.forwarded.slice(before.forwarded),
    /** Every POST that reached the sink (a later run's batches are acknowledged as duplicates). */
    posts: world.sink.attempts.slice(before.posts),
  };
}

describe('the sync job behind an egress proxy', () => {
  it('reaches the https source through the proxy (CONNECT) and the NO_PROXY sink directly', { timeout: 60_000 }, async () => {
    const { exit, tunnels, forwarded, posts } = await run({
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      NO_PROXY: `${sinkOrigin().hostname}:${sinkOrigin().port},.svc,.cluster.local`,
    });
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(posts.reduce((sum, post) => sum + (post.recordCount ?? 0), 0)).toBe(5);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([new URL(front.url).host]));
    // The sink's batches did not pass the proxy.
    expect(forwarded).toEqual([]);
  });

  it('sends the http sink through HTTP_PROXY when NO_PROXY does not name it', { timeout: 60_000 }, async () => {
    const { exit, forwarded, posts } = await run({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });
    expect(exit.code).toBe(0);
    expect(posts.length).toBeGreaterThan(0);
    expect(forwarded.length).toBe(posts.length);
    expect(new Set(forwarded)).toEqual(new Set([world.sink.url]));
  });

  it('goes direct without proxy variables', { timeout: 60_000 }, async () => {
    const { exit, tunnels, forwarded } = await run({});
    expect(exit.code).toBe(0);
    expect([...tunnels, ...forwarded]).toEqual([]);
  });
});
