// A leader asked to stop while the API server does not answer one of its writes still stops by itself, well inside
// the chart's 30 s grace period: it says every 5 s what it waits for (the runnable and the request), cuts its
// requests off at 15 s, and exits 0 — instead of waiting on the hung request until the kubelet's SIGKILL.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startFreezableProxy, type FreezableProxy } from '../support/freezable-proxy.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, testClient, waitFor } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let proxy: FreezableProxy;
let operator: OperatorProcess | undefined;
let kubeconfig: string;

beforeAll(async () => {
  ns = await createTestNamespace('op-shutdown-hung');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  const config = parse(readFileSync(testKubeconfigPath(), 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const server = new URL(config.clusters[0]!.cluster.server);
  proxy = await startFreezableProxy({ host: server.hostname, port: Number(server.port) });
  for (const c of config.clusters) c.cluster.server = `https://${proxy.address}`;
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'tenantsync-hung-')), 'kubeconfig');
  writeFileSync(kubeconfig, stringify(config), { mode: 0o600 });
});

afterAll(async () => {
  await operator?.kill('SIGKILL');
  await proxy?.close();
  await ns?.cleanup();
});

describe('stopping while a request hangs', () => {
  it('says what it waits for, cuts the request off at 15 s and exits 0 by itself', async () => {
    // No Lease: the point is the hung write; a Lease release through the frozen proxy would wait out its own timeout.
    operator = await startOperator({ kubeconfig, namespaces: [ns.name], args: ['--leader-elect=false'], logLevel: 'info' });
    const op = operator;
    proxy.freeze();
    // The watch still delivers the new tenant; the reconcile's first request goes into the freeze.
    await createTenantSync(client, ns.name, 'hung');
    await waitFor('a request held by the frozen API server', async () => proxy.heldBytes() > 0, 30_000, 20);

    const asked = performance.now();
    const exit = await op.stop();
    const tookMs = performance.now() - asked;
    expect(exit, op.output().slice(-6000)).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeGreaterThanOrEqual(14_000);
    expect(tookMs).toBeLessThan(25_000); // stop() would SIGKILL at 30 s

    const lines = op.logLines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('still stopping after'));
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^still stopping after 5 s: waiting for .*tenantsync-controller/),
      expect.stringMatching(/^still stopping after 10 s: waiting for .*tenantsync-controller/),
      expect.stringMatching(/^still stopping after 15 s: cutting off the [0-9]+ requests under way$/),
    ]);
    // What it waits for, by name: the hung request of the new tenant.
    expect(lines[0]?.requests).toContainEqual(expect.stringMatching(new RegExp(`^(GET|PATCH|POST|PUT) /.*/namespaces/${ns.name}/.* \\([0-9]+ s\\)$`)));
    expect(op.logLines().some((l) => l.msg === 'stopped cleanly')).toBe(true);
  }, 90_000);
});
