// Benchmark (not a test): the operator at scale on a real kube-apiserver + etcd on this machine, against the
// ceiling (bare writes through the operator's client: ceiling.ts) and a controller-runtime peer (peer/).
//   npm run bench -- operator-scale [--tenants 1000] [--rounds 1] [--only ceiling,operator,peer]
//     [--limits shipped,unthrottled] [--workers 4] [--settle-seconds 15] [--idle-seconds 60] [--changes 20]
//     [--history 1] [--replicas 2] [--standby-limits same|shipped] [--node-options=<flags>] [--memory-limit-mib 768]
// Each case starts a fresh control plane, starts its controller (none for the ceiling), then creates the N
// TenantSyncs at once (32 creates in flight, unthrottled client) and times from the first create until all
// N are Ready with observedGeneration = generation (one watch), then how long the operator stays busy after that. Limits: `shipped` = the operator's default
// client rate limit (--kube-api-qps/--kube-api-burst) for the operator, the ceiling and the peer alike;
// `unthrottled` = no client-side limit. The operator runs as the chart runs it: `--replicas` replicas with
// leader election. After all are Ready it gets each tenant's Job history (`--history` finished runs each);
// once it settled: RSS and heap, requests and lists during an idle window, the latency of single spec
// changes (time until Ready at the new generation), and failover (SIGKILL of the leader: time until the
// other replica has reconciled every tenant, and its request rate).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { defaultKubeApiBurst, defaultKubeApiQps } from '../../operator/kube/rate-limiter.js';
import type { StoredTenantSync } from '../../test/integration/operator-helpers.js';
import { buildDist } from '../../test/support/build-output.js';
import { nodeOldSpaceLimitMiB, operatorChartMemoryLimitMiB, operatorImageMallocArenaMax, operatorImageNodeOptions, startOperator, sumMetric, type OperatorProcess } from '../../test/support/operator-process.js';
import { ceilingWriter } from './ceiling.js';
import { killLeader, leaderOf, type FailoverMeasured } from './failover.js';
import { createJobHistory } from './history.js';
import { startBenchCluster, unthrottled, type BenchCluster } from './cluster.js';
import { buildPeer, startPeer, type PeerProcess } from './peer.js';
import { watchReady, type ReadyWatch } from './ready-watch.js';
import { requestsByVerb, requestsSince, scrape } from './scrape.js';
import { benchNamespace, tenantManifests, unownedChildren } from './tenants.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string', default: 'ceiling,operator,peer' },
    limits: { type: 'string', default: 'shipped,unthrottled' },
    workers: { type: 'string', default: '4' },
    'settle-seconds': { type: 'string', default: '15' },
    'idle-seconds': { type: 'string', default: '60' },
    changes: { type: 'string', default: '20' },
    'timeout-seconds': { type: 'string', default: '3600' },
    history: { type: 'string', default: '1' },
    replicas: { type: 'string', default: '2' },
    'standby-limits': { type: 'string', default: 'same' },
    'node-options': { type: 'string', default: operatorImageNodeOptions },
    'memory-limit-mib': { type: 'string', default: String(operatorChartMemoryLimitMiB) },
  },
});

function positiveInt(name: string, min = 1): number {
  const text = values[name as keyof typeof values] as string;
  if (!/^[0-9]+$/.test(text) || Number(text) < min) {
    console.error(`--${name}: "${text}" must be a whole number of at least ${min}`);
    process.exit(2);
  }
  return Number(text);
}
function listOf<T extends string>(name: string, allowed: readonly T[]): T[] {
  const items = (values[name as keyof typeof values] as string).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length > 0 || items.length === 0) {
    console.error(`--${name}: "${bad.join(',') || '(empty)'}" is not allowed; use a comma-separated list of ${allowed.join(', ')}`);
    process.exit(2);
  }
  return items as T[];
}

const cases = ['ceiling', 'operator', 'peer'] as const;
type Case = (typeof cases)[number];
const limitNames = ['shipped', 'unthrottled'] as const;
type LimitName = (typeof limitNames)[number];
const tenants = positiveInt('tenants');
const rounds = positiveInt('rounds');
const workers = positiveInt('workers');
const settleMs = positiveInt('settle-seconds', 0) * 1000;
const idleMs = positiveInt('idle-seconds', 0) * 1000;
const changes = positiveInt('changes', 0);
const timeoutMs = positiveInt('timeout-seconds') * 1000;
const history = positiveInt('history', 0);
const replicas = positiveInt('replicas');
/** NODE_OPTIONS of the operator replicas: the image's, plus the heap limit Node sets itself in the chart's pod (0: none). */
const memoryLimitMiB = positiveInt('memory-limit-mib', 0);
const nodeOptions = [values['node-options'], memoryLimitMiB > 0 ? `--max-old-space-size=${nodeOldSpaceLimitMiB(memoryLimitMiB)}` : ''].filter(Boolean).join(' ');
/** The client limits of the replicas that stand by (and take over at the failover): the case's, or the shipped ones. */
const standbyLimits = listOf('standby-limits', ['same', 'shipped'] as const)[0]!;
const only = listOf('only', cases);
const limitModes = listOf('limits', limitNames);
const createsInFlight = 32;
const limitsOf = (mode: LimitName) => (mode === 'shipped' ? { qps: defaultKubeApiQps, burst: defaultKubeApiBurst } : unthrottled);

buildDist(); // the operator runs compiled, as the image runs it (not under tsx)
const manifests = tenantManifests(tenants);
const dir = mkdtempSync(join(tmpdir(), 'tenant-sync-operator-scale-'));
const childrenFile = join(dir, 'children.json');
if (only.includes('peer')) writeFileSync(childrenFile, JSON.stringify(unownedChildren(manifests)));
const peerBinary = only.includes('peer') ? buildPeer() : '';

interface Measured {
  round: number;
  mode: LimitName;
  what: Case;
  /** From the first create until all N are Ready at their generation. */
  readyMs: number;
  createsMs: number;
  rssBytes?: number;
  heapUsedBytes?: number;
  /** V8's heap as committed (used + garbage + free pages it keeps), and memory outside it (Buffers, strings held by C++). */
  heapTotalBytes?: number;
  externalBytes?: number;
  /** The leader's RSS again at the end of the idle window (RSS falls as V8 and malloc give pages back). */
  rssAfterIdleBytes?: number;
  idleWrites?: number;
  idleRequests?: number;
  idleLists?: number;
  /** The idle window's writes by "verb resource", and how many tenants' nextRunTime came due in it. */
  idleWritesByVerb?: Record<string, number>;
  idleDue?: number;
  /** The standby replica's RSS, when there is one. */
  standbyRssBytes?: number;
  /** Runs of Job history given to the operator before its memory was read. */
  historyRuns?: number;
  failover?: FailoverMeasured;
  latencyMs?: number[];
  /** From all Ready until the operator's queue was empty and it sent no request but Lease renewals for 3 s. */
  quietAfterMs?: number;
  /** The operator's requests until all were Ready, per tenant, by "verb resource". */
  requestsPerTenant?: Record<string, number>;
}
const results: Measured[] = [];
const log = (text: string) => console.error(`[operator-scale] ${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let running: { stop(): Promise<unknown> }[] = [];
/** Operators the bench itself stops or kills: their exit is expected. */
const stopping = new Set<OperatorProcess>();
process.on('SIGINT', () => void Promise.all(running.map((r) => r.stop())).finally(() => process.exit(130)));

/** Creates the N TenantSyncs, `createsInFlight` at a time; calls `onCreated` for each. Returns ms taken. */
async function createAll(cluster: BenchCluster, onCreated: (i: number, created: StoredTenantSync) => void): Promise<number> {
  const client = cluster.client();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: createsInFlight }, async () => {
      for (let i = next++; i < manifests.length; i = next++) onCreated(i, (await client.create(manifests[i] as never)) as StoredTenantSync);
    }),
  );
  return performance.now() - start;
}

/** tenantsync_kube_requests_total by verb and resource, per tenant. */
function requestsPerTenantByVerb(metrics: string): Record<string, number> {
  return Object.fromEntries(Object.entries(requestsByVerb(metrics)).map(([k, n]) => [k, n / tenants]));
}

/** Waits until the work queue is empty and no request but the Lease's was sent for 3 s (at most 15 min); returns ms waited. */
async function untilQuiet(operator: OperatorProcess): Promise<number> {
  const start = performance.now();
  const busy = (metrics: string) => {
    const all = sumMetric(metrics, 'tenantsync_kube_requests_total') - sumMetric(metrics, 'tenantsync_kube_requests_total', { resource: 'leases' });
    return { requests: all, depth: sumMetric(metrics, 'tenantsync_workqueue_depth') };
  };
  let last = busy(await scrape(operator));
  let quietSince = performance.now();
  while (performance.now() - start < 900_000) {
    await sleep(1000); // not faster: each /metrics of thousands of tenants costs the operator CPU
    const now = busy(await scrape(operator));
    if (now.requests !== last.requests || now.depth > 0) quietSince = performance.now();
    last = now;
    if (performance.now() - quietSince >= 3_000) return quietSince - start;
  }
  return performance.now() - start;
}

function rssOfPid(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** One spec change of the interval: ms until the tenant is Ready at its new generation. */
async function changeOnce(cluster: BenchCluster, watch: ReadyWatch, name: string, interval: string, timeoutMs = 60_000): Promise<number> {
  const start = performance.now();
  const patched = (await cluster.client().mergePatch({ apiVersion, kind, namespace: benchNamespace, name }, { spec: { interval } })) as StoredTenantSync;
  return (await withTimeout(watch.readyAt(name, patched.metadata.generation), timeoutMs, `${name} Ready after a change`)) - start;
}

/** Single spec changes one after another (interval 2h ↔ 3h): ms until Ready at the new generation. */
async function changeLatencies(cluster: BenchCluster, watch: ReadyWatch): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < changes; i++) {
    const name = manifests[Math.floor((i * 7919) % manifests.length)]!.metadata.name;
    out.push(await changeOnce(cluster, watch, name, i % 2 === 0 ? '3h' : '2h'));
  }
  return out;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function measure(round: number, mode: LimitName, what: Case): Promise<Measured> {
  const limits = limitsOf(mode);
  log(`round ${round}, ${mode} limits, ${what}: starting a control plane`);
  const cluster = await startBenchCluster();
  running = [cluster];
  const operators: OperatorProcess[] = [];
  let watch: ReadyWatch | undefined;
  try {
    let operator: OperatorProcess | undefined;
    let peer: PeerProcess | undefined;
    let ceiling: ReturnType<typeof ceilingWriter> | undefined;
    if (what === 'operator') {
      for (let r = 0; r < replicas; r++) {
        // The first replica leads (the others start once it does); with --standby-limits shipped the others
        // run with the shipped client limits, so the failover is measured against them.
        const own = r > 0 && standbyLimits === 'shipped' ? limitsOf('shipped') : limits;
        const replica = await startOperator({
          kubeconfig: cluster.controlPlane.kubeconfigPath,
          logLevel: 'info',
          program: 'dist',
          env: { NODE_OPTIONS: nodeOptions, MALLOC_ARENA_MAX: operatorImageMallocArenaMax },
          args: [`--kube-api-qps=${own.qps}`, `--kube-api-burst=${own.burst}`, `--workers=${workers}`],
        });
        if (r === 0) await withTimeout((async () => { while ((await replica.metric('tenantsync_leader')) !== 1) await sleep(200); })(), 60_000, 'the first replica to lead');
        operators.push(replica);
        running.unshift(replica);
        void replica.exited.then((status) => {
          if (!stopping.has(replica)) log(`operator pid ${replica.pid} exited (${JSON.stringify(status)}); its last output:\n${replica.output().slice(-3000)}`);
        });
      }
    } else if (what === 'peer') {
      peer = await startPeer({ binary: peerBinary, kubeconfig: cluster.controlPlane.kubeconfigPath, childrenFile, ...limits, workers });
      running.unshift(peer);
    } else {
      ceiling = ceilingWriter(cluster.client(limits, 'tenant-sync-ceiling'), workers);
    }
    watch = watchReady(cluster.client());
    const start = performance.now();
    const createsMs = await createAll(cluster, (i, created) => ceiling?.add(manifests[i]!, created));
    const readyAt = await withTimeout(watch.allReady(tenants), timeoutMs, `${tenants} TenantSyncs Ready (${what})`);
    await ceiling?.done();
    if (what === 'operator') operator = await leaderOf(operators);
    if (what === 'operator' && operator === undefined) throw new Error('all Ready, but no operator replica says it leads');
    const measured: Measured = { round, mode, what, readyMs: readyAt - start, createsMs };
    if (operator !== undefined) measured.requestsPerTenant = requestsPerTenantByVerb(await scrape(operator));
    log(`${what}: all ${tenants} Ready after ${(measured.readyMs / 1000).toFixed(1)} s (creates took ${(createsMs / 1000).toFixed(1)} s)`);
    if (operator !== undefined || peer !== undefined) {
      if (operator !== undefined) measured.quietAfterMs = await untilQuiet(operator);
      if (operator !== undefined && history > 0) {
        log(`operator: creating ${history} finished run(s) per tenant (Job, pod, result)`);
        measured.historyRuns = await createJobHistory(cluster.client(), history);
        log(`operator: ${measured.historyRuns} runs created`);
        const leader = operator;
        await withTimeout(
          (async () => {
            for (let i = 1; ; i++) {
              const recorded = sumMetric(await scrape(leader), 'tenantsync_runs_total');
              if (recorded >= measured.historyRuns!) break;
              if (i % 30 === 0) log(`operator: ${recorded} of ${measured.historyRuns} runs recorded`);
              await sleep(1000);
            }
          })(),
          timeoutMs,
          `the operator to record ${measured.historyRuns} runs`,
        );
        await untilQuiet(operator);
        log(`operator: recorded all ${measured.historyRuns} runs`);
      }
      await sleep(settleMs);
      if (operator !== undefined) {
        const metrics = await scrape(operator);
        measured.rssBytes = sumMetric(metrics, 'process_resident_memory_bytes');
        measured.heapUsedBytes = sumMetric(metrics, 'nodejs_heap_size_used_bytes');
        measured.heapTotalBytes = sumMetric(metrics, 'nodejs_heap_size_total_bytes');
        measured.externalBytes = sumMetric(metrics, 'nodejs_external_memory_bytes');
        const standby = operators.find((o) => o !== operator);
        if (standby !== undefined) measured.standbyRssBytes = rssOfPid(standby.pid);
        const lists = (m: string) => sumMetric(m, 'tenantsync_kube_requests_total', { verb: 'list' });
        const before = { writes: sumMetric(metrics, 'tenantsync_kube_write_requests_total'), requests: sumMetric(metrics, 'tenantsync_kube_requests_total'), lists: lists(metrics), byVerb: requestsByVerb(metrics) };
        // Tenants whose scheduled time comes during the window: no CronJob controller here starts their runs, and a run
        // time that merely passes is no change (status.nextRunTime follows the CronJob): counted to show the window had some.
        const nextRuns = (await cluster.client().list<StoredTenantSync>(apiVersion, kind, { namespace: benchNamespace, all: true })).items.map((t) => Date.parse(t.status?.nextRunTime ?? ''));
        const windowStart = Date.now();
        await sleep(idleMs);
        const after = await scrape(operator);
        measured.idleDue = nextRuns.filter((t) => t >= windowStart && t <= Date.now()).length;
        measured.idleWrites = sumMetric(after, 'tenantsync_kube_write_requests_total') - before.writes;
        measured.idleRequests = sumMetric(after, 'tenantsync_kube_requests_total') - before.requests;
        measured.idleLists = lists(after) - before.lists;
        measured.idleWritesByVerb = Object.fromEntries(Object.entries(requestsSince(before.byVerb, after)).filter(([k]) => !/^(get|list|watch) /.test(k)));
        measured.rssAfterIdleBytes = sumMetric(after, 'process_resident_memory_bytes');
      } else if (peer?.process.pid !== undefined) {
        measured.rssBytes = rssOfPid(peer.process.pid);
      }
      measured.latencyMs = await changeLatencies(cluster, watch);
      const standby = operators.find((o) => o !== operator);
      if (operator !== undefined && standby !== undefined) {
        log('operator: SIGKILL of the leader');
        stopping.add(operator);
        // During the failover, the tenant created last changes: in a queue of arrival order it would wait behind all.
        const lastTenant = manifests[manifests.length - 1]!.metadata.name;
        const ready = watch;
        measured.failover = await killLeader(operator, standby, tenants, timeoutMs, () => changeOnce(cluster, ready, lastTenant, '4h', timeoutMs));
        log(`operator: the other replica reconciled all ${tenants} ${seconds(measured.failover.reconciledAfterMs)} s after the kill`);
      }
    }
    // Printed at once, so a later case that fails does not take this one's figures with it.
    log(`measured: ${JSON.stringify(measured)}`);
    return measured;
  } finally {
    watch?.stop(); // before the clients close: an open watch would hold their close
    for (const o of operators) stopping.add(o);
    for (const r of running) await r.stop().catch(() => undefined);
    running = [];
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '' : (ms / 1000).toFixed(1));
const mib = (bytes: number | undefined) => (bytes === undefined ? '' : (bytes / 1048576).toFixed(0));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '' : `${(a / b).toFixed(2)}x`);
function percentile(sorted: number[], p: number): number | undefined {
  return sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

for (let round = 1; round <= rounds; round++) {
  for (const mode of limitModes) {
    for (const what of cases.filter((c) => only.includes(c))) results.push(await measure(round, mode, what));
  }
}

const find = (round: number, mode: LimitName, what: Case) => results.find((r) => r.round === round && r.mode === mode && r.what === what);
const lines = [
  `operator-scale: ${tenants} TenantSyncs created at once (${createsInFlight} creates in flight), ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} at the end, workers ${workers}`,
  `shipped limits: ${defaultKubeApiQps} QPS, burst ${defaultKubeApiBurst} (operator, ceiling and peer alike); unthrottled: no client-side limit; operator NODE_OPTIONS="${nodeOptions}" MALLOC_ARENA_MAX=${operatorImageMallocArenaMax}${memoryLimitMiB > 0 ? ` (the old-space limit Node sets itself in a container limited to ${memoryLimitMiB} MiB, the chart's)` : ''}`,
  '',
  '| round | limits | ceiling s | operator s | peer s | operator / ceiling | operator / peer | creates s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (let round = 1; round <= rounds; round++) {
  for (const mode of limitModes) {
    const [c, o, p] = cases.map((w) => find(round, mode, w));
    const creates = [c, o, p].filter((m) => m !== undefined).map((m) => seconds(m.createsMs)).join(' / ');
    lines.push(`| ${round} | ${mode} | ${seconds(c?.readyMs)} | ${seconds(o?.readyMs)} | ${seconds(p?.readyMs)} | ${ratio(o?.readyMs, c?.readyMs)} | ${ratio(o?.readyMs, p?.readyMs)} | ${creates} |`);
  }
}
lines.push('', '| round | limits | controller | quiet after s | history runs | RSS MiB | heap used / total MiB | external MiB | RSS after idle MiB | standby RSS MiB | idle writes | idle requests | idle lists | change→Ready p50 ms | p99 ms |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results.filter((m) => m.what !== 'ceiling')) {
  const sorted = [...(r.latencyMs ?? [])].sort((a, b) => a - b);
  const p = (q: number) => percentile(sorted, q)?.toFixed(0) ?? '';
  lines.push(
    `| ${r.round} | ${r.mode} | ${r.what} | ${seconds(r.quietAfterMs)} | ${r.historyRuns ?? ''} | ${mib(r.rssBytes)} | ${mib(r.heapUsedBytes)} / ${mib(r.heapTotalBytes)} | ${mib(r.externalBytes)} | ${mib(r.rssAfterIdleBytes)} | ${mib(r.standbyRssBytes)} | ${r.idleWrites ?? ''} | ${r.idleRequests ?? ''} | ${r.idleLists ?? ''} | ${p(50)} | ${p(99)} |`,
  );
}
const failovers = results.filter((m) => m.failover !== undefined);
if (failovers.length > 0) {
  lines.push('', '| round | limits | leading after s | all tenants reconciled after s | a change 2 s after it leads → Ready s | requests | mean requests/s | peak requests/s | client limit |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of failovers) {
    const f = r.failover!;
    const limit = r.mode === 'shipped' || standbyLimits === 'shipped' ? `${defaultKubeApiQps} QPS, burst ${defaultKubeApiBurst}` : 'none';
    lines.push(`| ${r.round} | ${r.mode} | ${seconds(f.leadingAfterMs)} | ${seconds(f.reconciledAfterMs)} | ${seconds(f.changeReadyMs)} | ${f.requests} | ${f.requestsPerSecond.toFixed(1)} | ${f.peakPerSecond.toFixed(1)} | ${limit} |`);
  }
  for (const r of failovers) {
    const verbs = Object.entries(r.failover!.byVerb).sort((a, b) => b[1] - a[1]);
    lines.push('', `failover requests (round ${r.round}, ${r.mode}): ${verbs.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
}
for (const r of results.filter((m) => m.idleWritesByVerb !== undefined && idleMs > 0)) {
  const verbs = Object.entries(r.idleWritesByVerb!).sort((a, b) => b[1] - a[1]);
  lines.push('', `idle writes (round ${r.round}, ${r.mode}): ${verbs.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; tenants whose nextRunTime came due in the window: ${r.idleDue}`);
}
for (const r of results.filter((m) => m.requestsPerTenant !== undefined)) {
  const entries = Object.entries(r.requestsPerTenant!).filter(([, n]) => n >= 0.01).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  lines.push('', `operator requests per tenant until all were Ready (round ${r.round}, ${r.mode}): ${total.toFixed(2)} — ${entries.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ')}`);
}
lines.push('', `quiet after: from all Ready until the operator's queue was empty and it sent nothing but Lease renewals for 3 s (Events and second passes drain after Ready); then ${history} finished run(s) per tenant (Job + pod + result) and quiet again; memory and an idle window of ${idleMs / 1000} s after that + ${settleMs / 1000} s (the leader; Lease renewals count); ${changes} single spec changes, one at a time; then the leader SIGKILLed (${replicas} replicas, the operator compiled, as the image runs it; standby limits: ${standbyLimits === 'shipped' ? 'shipped' : "the case's"})`);
console.log(lines.join('\n'));
