// The runtime through a kube-apiserver outage, on a private control plane (etcd + two API servers,
// A and B, sharing etcd): the informer and the Manager keep running while A is down, changes made
// meanwhile (through B) and an etcd compaction force a 410 Gone relist that misses nothing, and the
// leader steps down after renewDeadline, then leads again once A is back. No process ever exits.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { startApiserver } from '../controlplane/apiserver.js';
import { ensureBinaries, type Binaries } from '../controlplane/binaries.js';
import { generatePki, type Pki } from '../controlplane/certs.js';
import { startEtcd } from '../controlplane/etcd.js';
import { writeAdminKubeconfig } from '../controlplane/kubeconfig.js';
import { testRunsRoot } from '../controlplane/paths.js';
import { freeLoopbackPorts } from '../controlplane/ports.js';
import { stopProcess, type Component } from '../controlplane/processes.js';
import { KubeClient, loadKubeConfig, type KubeObject } from '../../operator/kube/client.js';
import { Informer, type InformerEventType } from '../../operator/runtime/informer.js';
import { createLogger } from '../../operator/runtime/logger.js';
import { Manager } from '../../operator/runtime/manager.js';

const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Compacts etcd up to its current revision through its JSON gateway: every older resourceVersion is now "too old". */
async function compactEtcd(etcdUrl: string): Promise<number> {
  const range = await fetch(`${etcdUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) });
  const revision = Number(((await range.json()) as { header: { revision: string } }).header.revision);
  const compaction = await fetch(`${etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
  if (!compaction.ok) throw new Error(`etcd compaction failed: HTTP ${compaction.status} ${await compaction.text()}`);
  return revision;
}

type ConfigMap = V1ConfigMap & KubeObject;
const configMap = (namespace: string, name: string, value: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data: { value } });

describe('runtime: kube-apiserver restart and 410 Gone', () => {
  let dir: string;
  let binaries: Binaries;
  let pki: Pki;
  let etcd: { component: Component; url: string };
  let apiserverA: Component | undefined;
  let apiserverB: Component | undefined;
  let portA: number;
  let clientA: KubeClient;
  let clientB: KubeClient;
  const components: Component[] = [];
  const onSpawn = async (c: Component) => void components.push(c);

  const startA = async () => {
    apiserverA = (await startApiserver({ binary: binaries.paths['kube-apiserver'], runDir: join(dir, 'a'), etcdUrl: etcd.url, securePort: portA, pki, lifetime: 'owned', onSpawn })).component;
  };

  beforeAll(async () => {
    binaries = await ensureBinaries();
    await mkdir(testRunsRoot(), { recursive: true });
    dir = await mkdtemp(join(testRunsRoot(), 'runtime-restart-'));
    for (const d of ['logs', 'a/logs', 'b/logs']) await mkdir(join(dir, d), { recursive: true });
    pki = await generatePki(join(dir, 'pki'));
    const [etcdClientPort, etcdPeerPort, a, portB] = (await freeLoopbackPorts(4)) as [number, number, number, number];
    portA = a;
    etcd = await startEtcd({ binary: binaries.paths.etcd, runDir: dir, ports: { clientPort: etcdClientPort, peerPort: etcdPeerPort }, lifetime: 'owned', onSpawn });
    await startA();
    const b = await startApiserver({ binary: binaries.paths['kube-apiserver'], runDir: join(dir, 'b'), etcdUrl: etcd.url, securePort: portB, pki, lifetime: 'owned', onSpawn });
    apiserverB = b.component;
    clientA = new KubeClient({ kubeConfig: loadKubeConfig({ kubeconfigPath: await writeAdminKubeconfig(join(dir, 'kubeconfig-a'), `https://127.0.0.1:${portA}`, pki) }) });
    clientB = new KubeClient({ kubeConfig: loadKubeConfig({ kubeconfigPath: await writeAdminKubeconfig(join(dir, 'kubeconfig-b'), b.server, pki) }) });
  }, 300_000);

  afterAll(async () => {
    await clientA?.close();
    await clientB?.close();
    for (const c of components.reverse()) await stopProcess(c).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps informer and manager running through an API server outage; relists after 410 without missing a change; leads again', async () => {
    const ns = 'restart';
    await clientA.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await clientA.create(configMap(ns, 'a', '1'));
    await clientA.create(configMap(ns, 'b', '1'));

    const manager = new Manager({
      logger,
      leaderElection: { client: clientA, namespace: ns, name: 'restart-lease', identity: 'operator-1', leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 },
    });
    const informer = new Informer<V1ConfigMap>({ client: clientA, apiVersion: 'v1', plural: 'configmaps', namespaces: [ns], logger });
    const seen: { type: InformerEventType; name: string; value: string | undefined }[] = [];
    informer.on((type, obj) => seen.push({ type, name: obj.metadata!.name!, value: obj.data?.value }));
    const terms: string[] = [];
    manager.add(informer);
    manager.add({
      name: 'leader-work',
      needLeaderElection: true,
      start: async (signal) => {
        terms.push('started');
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        terms.push('stopped');
      },
    });
    const abort = new AbortController();
    let settled = false;
    const running = manager.start(abort.signal).finally(() => (settled = true));

    await waitFor('leader and synced', 30_000, () => manager.isLeader() && informer.hasSynced());
    expect(informer.list().map((c) => c.metadata!.name).sort()).toEqual(['a', 'b']);

    // Outage of A. The leader cannot renew: it must stop its work within renewDeadline.
    await stopProcess(apiserverA!);
    await waitFor('the leader steps down', 30_000, () => !manager.isLeader());
    expect(terms).toEqual(['started', 'stopped']);

    // Meanwhile, through B: changes the informer's watch cannot see, then compaction so A's old resourceVersion is gone.
    await clientB.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' }, { data: { value: '2' } });
    await clientB.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'b' });
    await clientB.create(configMap(ns, 'c', '1'));
    await compactEtcd(etcd.url);
    expect(informer.stats().errors).toBeGreaterThan(0); // it noticed the outage...
    expect(settled).toBe(false); // ...and is still running

    await startA();
    await waitFor('the informer relists and catches up', 60_000, () => informer.get(ns, 'c') !== undefined && informer.get(ns, 'b') === undefined);
    expect(informer.stats().goneRelists).toBeGreaterThanOrEqual(1);
    expect(informer.list().map((c) => `${c.metadata!.name}=${c.data!.value}`).sort()).toEqual(['a=2', 'c=1']);
    expect(seen.slice(2)).toEqual(
      expect.arrayContaining([
        { type: 'MODIFIED', name: 'a', value: '2' },
        { type: 'DELETED', name: 'b', value: '1' },
        { type: 'ADDED', name: 'c', value: '1' },
      ]),
    );
    expect(seen).toHaveLength(5);

    // The Lease still names us: leadership comes back without waiting for anyone.
    await waitFor('leading again', 30_000, () => manager.isLeader());
    expect(terms).toEqual(['started', 'stopped', 'started']);

    // And the watch works again after the relist.
    await clientA.create(configMap(ns, 'd', '1'));
    await waitFor('a new object after recovery', 30_000, () => informer.get(ns, 'd') !== undefined);

    expect(settled).toBe(false);
    abort.abort();
    await running;
    expect(terms).toEqual(['started', 'stopped', 'started', 'stopped']);
    expect(apiserverB?.hasExited()).toBe(false);
  });
});
