// Cluster chaos (issue 15), run by `npm run chaos` only: a control plane of its own (etcd, kube-apiserver,
// kube-controller-manager), the test kubelet as a process of its own, two operator replicas with leader
// election, N tenants on a one-minute schedule, each with its own Freshdesk fake, records edited every
// second. Meanwhile, at seeded random moments: SIGKILL of the leading operator (a new replica is started,
// so two always run), SIGKILL of the kubelet with its sync pods (a new kubelet for the same node comes up
// seconds later), evictions of running sync pods, kube-apiserver and etcd restarts. Then the edits stop and
// every tenant gets a quiet run. Checked: every tenant Ready with a Succeeded run after the chaos; each
// stream's cursor equals the newest record the sink acknowledged for it; the sink holds every record's
// current version; no schedule slot has two Jobs and no two runs of a tenant overlapped; no Job or pod
// without its owner; no operator exited except the ones killed; the sink saw no protocol breach; no API key
// in any operator's log, Event, TenantSync, ConfigMap or termination message.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1ConfigMap, type V1CronJob, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind, plural } from '../../operator/api/tenantsync.js';
import { KubeClient } from '../../operator/kube/client.js';
import { stateSchema } from '../../sync-job/contract.js';
import { scanClockSkewMarginSeconds } from '../../sync-job/source/freshdesk/streams.js';
import { startControlPlane, type ControlPlane } from '../controlplane/control-plane.js';
import { installCrds } from '../controlplane/crds.js';
import { startFreshdeskFake, type FreshdeskFake } from '../fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../fakes/sink/index.js';
import { condition, sleep, waitFor, type StoredTenantSync } from '../integration/operator-helpers.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { secretForms } from '../job/support.js';
import { seededRandom } from './random.js';
import { controlPlaneComponent, kubeletProcess, type Restartable } from './restartable.js';
import { chaosCount, chaosEnv, chaosSeed, reportScenario } from './settings.js';

const seed = chaosSeed();
const sizes = {
  tenants: chaosCount(chaosEnv.tenants, 6),
  minutes: chaosCount(chaosEnv.minutes, 8),
  operatorKills: chaosCount(chaosEnv.operatorKills, 4, 0),
  apiserverRestarts: chaosCount(chaosEnv.apiserverRestarts, 2, 0),
  etcdRestarts: chaosCount(chaosEnv.etcdRestarts, 1, 0),
  nodeDeaths: chaosCount(chaosEnv.nodeDeaths, 1, 0),
  evictions: chaosCount(chaosEnv.evictions, 2, 0),
};
const namespace = 'chaos';
const nodeName = 'chaos-node';
const streams = ['tickets', 'contacts'] as const;
const settleTimeoutMs = 8 * 60_000;

let cp: ControlPlane;
let client: KubeClient;
let core: CoreV1Api;
let sink: SinkReceiver;
let kubelet: Restartable;
let apiserver: Restartable;
let etcd: Restartable;
let workDir: string | undefined;
const fakes = new Map<string, FreshdeskFake>();
const ids = new Map<string, { tickets: Set<number>; contacts: Set<number> }>();
const operators: OperatorProcess[] = [];
const killedPids = new Set<number>();
const tenantNames = Array.from({ length: sizes.tenants }, (_, i) => `t${String(i).padStart(2, '0')}`);

function clientFor(kubeconfigPath: string): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const c = new KubeClient({ kubeConfig, userAgent: 'tenant-sync-chaos', requestTimeoutMs: 10_000 });
  c.registerResourceType({ apiVersion, kind, plural, namespaced: true });
  return c;
}

const serves = () => client.list('v1', 'Namespace', { limit: 1 }).then(() => true, () => false);

async function startReplica(): Promise<OperatorProcess> {
  const op = await startOperator({ kubeconfig: cp.kubeconfigPath, namespaces: [namespace], leaseNamespace: namespace, leaseName: 'chaos', logLevel: 'info', program: 'dist' });
  operators.push(op);
  return op;
}

const running = () => operators.filter((op) => !killedPids.has(op.pid));

beforeAll(async () => {
  cp = await startControlPlane();
  await installCrds(cp.kubectlPath, cp.kubeconfigPath);
  client = clientFor(cp.kubeconfigPath);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cp.kubeconfigPath);
  core = kubeConfig.makeApiClient(CoreV1Api);
  apiserver = controlPlaneComponent(cp, 'kube-apiserver');
  etcd = controlPlaneComponent(cp, 'etcd');
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await waitFor('ServiceAccount chaos/default', () => client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace, name: 'default' }), 60_000);
  sink = await startSinkReceiver();
  workDir = await mkdtemp(join(tmpdir(), 'tenant-sync-chaos-'));
  console.log(`[cluster-chaos] seed ${seed}, sizes ${JSON.stringify(sizes)}, work dir ${workDir}, control plane ${cp.dir}`);
  kubelet = kubeletProcess({ kubeconfigPath: cp.kubeconfigPath, nodeName, namespace, workDir });
  await startReplica();
  await startReplica();
  const baseMs = Date.now() - 3 * 24 * 3600_000;
  for (const name of tenantNames) {
    const fake = await startFreshdeskFake({ apiKey: `key-${name}`, rateLimitPerMinute: 100_000 });
    fakes.set(name, fake);
    ids.set(name, {
      tickets: new Set(fake.data.addTickets(40, (i) => ({ created_at: new Date(baseMs + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), updated_at: new Date(baseMs + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }))),
      contacts: new Set(fake.data.addContacts(20)),
    });
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-freshdesk`, namespace }, stringData: { apiKey: `key-${name}` } } as never);
    await client.create({
      apiVersion,
      kind,
      metadata: { name, namespace },
      spec: {
        schedule: '*/1 * * * *',
        source: { baseUrl: fake.baseUrl, credentialsSecretRef: { name: `${name}-freshdesk`, key: 'apiKey' }, streams: streams.map((s) => ({ name: s })) },
        sink: { url: sink.url, batchSize: 10 },
        job: { timeout: '3m', backoffLimit: 3, successfulJobsHistoryLimit: 100, failedJobsHistoryLimit: 100 },
      },
    } as never);
  }
}, 900_000);

afterAll(async () => {
  for (const op of running()) await op.stop().catch(() => undefined);
  // Every replica's log, killed ones too, for whoever reads a failure.
  if (workDir !== undefined) for (const op of operators) await writeFile(join(workDir, `operator-${op.pid}.log`), op.output()).catch(() => undefined);
  await kubelet?.stop();
  await apiserver?.stop();
  await etcd?.stop();
  await cp?.stop();
  for (const fake of fakes.values()) await fake.close();
  await sink?.close();
});

type ChaosEvent = 'operator-kill' | 'apiserver-restart' | 'etcd-restart' | 'node-death' | 'eviction';

describe(`cluster chaos (seed ${seed})`, () => {
  it(`${sizes.tenants} tenants every minute for ${sizes.minutes} min under kills and restarts: every tenant Ready, cursors at the newest acknowledged record, nothing lost`, { timeout: sizes.minutes * 60_000 + settleTimeoutMs + scanClockSkewMarginSeconds * 1000 + 600_000 }, async () => {
    const random = seededRandom(seed);
    const chaosMs = sizes.minutes * 60_000;
    const plan: { atMs: number; event: ChaosEvent }[] = [];
    const add = (event: ChaosEvent, n: number) => {
      for (let i = 0; i < n; i++) plan.push({ atMs: random.int(45_000, chaosMs - 15_000), event });
    };
    add('operator-kill', sizes.operatorKills);
    add('apiserver-restart', sizes.apiserverRestarts);
    add('etcd-restart', sizes.etcdRestarts);
    add('node-death', sizes.nodeDeaths);
    add('eviction', sizes.evictions);
    plan.sort((a, b) => a.atMs - b.atMs);
    const done: Record<ChaosEvent, number> = { 'operator-kill': 0, 'apiserver-restart': 0, 'etcd-restart': 0, 'node-death': 0, eviction: 0 };

    // Records change every second, somewhere. Contacts are a scan stream: its cursor settles no later than
    // scanClockSkewMarginSeconds before a scan's start, so their edits stop that long before the chaos ends (when
    // the chaos is long enough) and the quiet run that must bring the cursor to the newest record starts after that.
    let edits = 0;
    let lastContactEditMs = Date.now();
    const contactEditsUntilMs = Date.now() + Math.max(chaosMs / 2, chaosMs - (scanClockSkewMarginSeconds + 30) * 1000);
    const editor = setInterval(() => {
      const name = random.pick(tenantNames);
      const fake = fakes.get(name)!;
      const own = ids.get(name)!;
      const roll = random.next();
      if (roll < 0.2) own.tickets.add(fake.data.addTickets(1)[0]!);
      else if (roll < 0.7 || Date.now() > contactEditsUntilMs) fake.data.updateTicket(random.pick([...own.tickets]), { subject: `edit ${edits}` });
      else {
        fake.data.updateContact(random.pick([...own.contacts]), { job_title: `edit ${edits}` });
        lastContactEditMs = Date.now();
      }
      edits++;
    }, 1_000);

    const startedAt = Date.now();
    try {
      for (const { atMs, event } of plan) {
        const wait = startedAt + atMs - Date.now();
        if (wait > 0) await sleep(wait);
        console.log(`[cluster-chaos] ${Math.round((Date.now() - startedAt) / 1000)} s: ${event}`);
        switch (event) {
          case 'operator-kill': {
            const leaders: OperatorProcess[] = [];
            for (const op of running()) if ((await op.metric('tenantsync_leader').catch(() => 0)) === 1) leaders.push(op);
            const victim = leaders[0] ?? random.pick(running());
            killedPids.add(victim.pid);
            await victim.kill('SIGKILL');
            await startReplica();
            break;
          }
          case 'apiserver-restart':
            await apiserver.restart(random.int(3_000, 15_000));
            await waitFor('kube-apiserver to serve again', serves, 180_000, 500);
            break;
          case 'etcd-restart':
            await etcd.restart(random.int(2_000, 8_000));
            await waitFor('kube-apiserver to serve again after etcd came back', serves, 180_000, 500);
            break;
          case 'node-death':
            await kubelet.restart(random.int(5_000, 20_000));
            break;
          case 'eviction': {
            const pods = await waitFor('a running sync pod to evict', async () => {
              const list = (await client.list<V1Pod>('v1', 'Pod', { namespace })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
              return list.length > 0 ? list : false;
            }, 120_000, 500);
            const pod = random.pick(pods);
            await core.createNamespacedPodEviction({ name: pod.metadata!.name!, namespace, body: { metadata: { name: pod.metadata!.name!, namespace } } }).catch((err: unknown) => console.log(`[cluster-chaos] eviction of ${pod.metadata?.name}: ${String(err).slice(0, 200)}`));
            break;
          }
        }
        done[event]++;
      }
      const rest = startedAt + chaosMs - Date.now();
      if (rest > 0) await sleep(rest);
    } finally {
      clearInterval(editor);
    }
    const quietFrom = Date.now();
    console.log(`[cluster-chaos] chaos over after ${Math.round((quietFrom - startedAt) / 1000)} s: ${JSON.stringify(done)}, ${edits} edits; waiting for a quiet run of every tenant`);

    // Settle: every tenant Ready with a Succeeded run that started after the last edit (and long enough after
    // the last contact edit for the scan's cursor to reach it).
    const settledAfterMs = Math.max(quietFrom, lastContactEditMs + scanClockSkewMarginSeconds * 1000) + 1_000;
    for (const name of tenantNames) {
      let seen: StoredTenantSync | undefined;
      await waitFor(`${name}: Ready and a Succeeded run started after the chaos`, async () => {
        const ts = (seen = await client.get<StoredTenantSync>({ apiVersion, kind, namespace, name }));
        const lastRun = ts?.status?.lastRun;
        return condition(ts, 'Ready')?.status === 'True' && lastRun?.outcome === 'Succeeded' && Date.parse(lastRun.startTime ?? '') > settledAfterMs ? ts : false;
      }, settleTimeoutMs + scanClockSkewMarginSeconds * 1000, 2_000).catch((error: unknown) => {
        const { conditions, lastRun, activeRun, waitingRuns } = seen?.status ?? {};
        const leaders = operators.filter((op) => !killedPids.has(op.pid)).map((op) => op.pid);
        throw new Error(`${String(error)}; runs must start after ${new Date(settledAfterMs).toISOString()}; its status: ${JSON.stringify({ conditions, lastRun, activeRun, waitingRuns })}; running operators ${leaders.join(', ')} (logs in ${workDir})`);
      });
    }

    // Cursors = newest acknowledged record; nothing missing.
    const missing: string[] = [];
    const cursorMismatch: string[] = [];
    for (const name of tenantNames) {
      const cm = await client.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: `${name}-state` });
      const state = stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? '{}'));
      const fake = fakes.get(name)!;
      for (const stream of streams) {
        const held = sink.latest(name, stream);
        const newest = Math.max(...sink.records(name, stream).map((r) => Date.parse(r.updatedAt)));
        const cursor = Date.parse(state.streams[stream]?.cursor.updatedAt ?? '');
        if (cursor !== newest) cursorMismatch.push(`${name}/${stream}: cursor ${state.streams[stream]?.cursor.updatedAt}, newest acknowledged ${new Date(newest).toISOString()}`);
        for (const id of ids.get(name)![stream]) {
          const record = (stream === 'tickets' ? fake.data.ticket(id) : fake.data.contact(id)) as { updated_at: string };
          if (Date.parse(held.get(`${stream}/${id}`)?.updatedAt ?? '') !== Date.parse(record.updated_at)) missing.push(`${name}/${stream}/${id}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(cursorMismatch).toEqual([]);
    expect(sink.idempotencyViolations).toEqual([]);

    // No schedule slot ran twice, no two runs of a tenant at once, no orphans.
    const jobs = (await client.list<V1Job>('batch/v1', 'Job', { namespace })).items;
    const cronJobs = (await client.list<V1CronJob>('batch/v1', 'CronJob', { namespace })).items;
    const pods = (await client.list<V1Pod>('v1', 'Pod', { namespace })).items;
    const slots = new Map<string, string[]>();
    for (const job of jobs) {
      const slot = job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
      const owner = job.metadata?.ownerReferences?.find((o) => o.kind === 'CronJob')?.name ?? '';
      if (slot) slots.set(`${owner}@${slot}`, [...(slots.get(`${owner}@${slot}`) ?? []), job.metadata!.name!]);
    }
    expect([...slots].filter(([, names]) => names.length > 1)).toEqual([]);
    const overlaps: string[] = [];
    for (const name of tenantNames) {
      const runs = pods
        .filter((p) => p.metadata?.labels?.['tenantsync.io/name'] === name)
        .map((p) => {
          const t = p.status?.containerStatuses?.[0]?.state?.terminated;
          return { pod: p.metadata!.name!, job: p.metadata?.labels?.['job-name'], from: Date.parse(String(t?.startedAt ?? '')), to: Date.parse(String(t?.finishedAt ?? '')) };
        })
        .filter((r) => !Number.isNaN(r.from) && !Number.isNaN(r.to))
        .sort((a, b) => a.from - b.from);
      for (let i = 1; i < runs.length; i++) {
        const [a, b] = [runs[i - 1]!, runs[i]!];
        if (b.from < a.to - 1_000 && a.job !== b.job) overlaps.push(`${a.pod} and ${b.pod}`);
      }
    }
    expect(overlaps).toEqual([]);
    const cronJobUids = new Set(cronJobs.map((c) => c.metadata?.uid));
    const jobUids = new Set(jobs.map((j) => j.metadata?.uid));
    const orphans = [
      ...jobs.filter((j) => !j.metadata?.ownerReferences?.some((o) => cronJobUids.has(o.uid))).map((j) => `Job ${j.metadata?.name}`),
      ...pods.filter((p) => !p.metadata?.ownerReferences?.some((o) => jobUids.has(o.uid))).map((p) => `Pod ${p.metadata?.name}`),
    ];
    expect(orphans).toEqual([]);

    // After all of it, no tenant's API key in any operator's log, Event, status or ConfigMap.
    const keys = secretForms(...tenantNames.map((name) => `key-${name}`));
    const places: Record<string, string> = {
      ...Object.fromEntries(operators.map((op) => [`operator pid ${op.pid} log`, op.output()])),
      Events: JSON.stringify((await client.list('events.k8s.io/v1', 'Event', { namespace })).items),
      TenantSyncs: JSON.stringify((await client.list(apiVersion, kind, { namespace })).items),
      ConfigMaps: JSON.stringify((await client.list('v1', 'ConfigMap', { namespace })).items),
      'Pods (termination messages)': JSON.stringify(pods),
    };
    expect(Object.entries(places).flatMap(([place, text]) => keys.filter((k) => text.includes(k)).map((k) => `${place}: ${k}`))).toEqual([]);

    // The operators: only the killed ones exited.
    for (const op of running()) {
      const exitedYet = await Promise.race([op.exited.then(() => true), sleep(100).then(() => false)]);
      expect(exitedYet, `operator pid ${op.pid} exited:\n${op.output().slice(-3000)}`).toBe(false);
    }
    const failedJobs = jobs.filter((j) => j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')).length;
    const scheduledJobs = jobs.filter((j) => j.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).length;
    reportScenario({
      scenario: 'Cluster chaos: operator kills, node death, evictions, kube-apiserver and etcd restarts',
      rounds: `${sizes.tenants} tenants × ${sizes.minutes} min on */1; ${done['operator-kill']} leader SIGKILLs, ${done['node-death']} node deaths, ${done.eviction} evictions, ${done['apiserver-restart']} kube-apiserver and ${done['etcd-restart']} etcd restarts; ${edits} edits; ${jobs.length} Jobs (${scheduledJobs} scheduled, ${failedJobs} failed)`,
      checked: 'every tenant Ready with a Succeeded run after the chaos; each stream cursor = newest acknowledged record; every record current in the sink; no slot with two Jobs; no overlapping runs; no orphaned Job or pod; no operator exited but the killed ones; no sink protocol breach; no API key in operator logs, Events, status, ConfigMaps or termination messages',
      lost: `${missing.length} records`,
      seed,
    });
  });
});
