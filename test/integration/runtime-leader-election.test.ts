// Leader election on a real coordination.k8s.io Lease: exactly one of two candidates leads; a
// graceful shutdown releases the Lease so the standby takes over at once; a leader cut off from the
// API server steps down and is replaced; a SIGKILLed leader is replaced within the lease duration.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../operator/kube/client.js';
import { KubeApiError } from '../../operator/kube/errors.js';
import { LeaderElector, type LeaseObject } from '../../operator/runtime/leader-election.js';
import { createLogger } from '../../operator/runtime/logger.js';
import { createTestNamespace, testKubeConfig, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';

const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client whose requests fail as if the network to the API server were cut, while `partitioned`. */
class PartitionableClient extends KubeClient {
  partitioned = false;
  override async request<T>(req: Parameters<KubeClient['request']>[0]): Promise<T> {
    if (this.partitioned) {
      throw new KubeApiError({ code: 'KUBE_UNAVAILABLE', message: 'partitioned by the test', method: req.method, path: req.path });
    }
    return super.request<T>(req);
  }
}

interface Candidate {
  elector: LeaderElector;
  abort: AbortController;
  done: Promise<void>;
  log: string[];
  leadingSignal: AbortSignal | undefined;
}

describe('runtime: leader election on a real Lease', () => {
  let ns: TestNamespace;
  let client: KubeClient;
  const cleanup: (() => void | Promise<void>)[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace('rt-leader');
    client = new KubeClient({ kubeConfig: testKubeConfig() });
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await ns?.cleanup();
    await client?.close();
  });

  const readLease = (name: string) => client.get<LeaseObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns.name, name });

  function candidate(lease: string, identity: string, timings: { leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number }, c: KubeClient = client): Candidate {
    const abort = new AbortController();
    const elector = new LeaderElector({ client: c, namespace: ns.name, name: lease, identity, logger, ...timings });
    const self: Candidate = { elector, abort, done: Promise.resolve(), log: [], leadingSignal: undefined };
    self.done = elector.run(abort.signal, {
      onStartedLeading: async (leading) => {
        self.leadingSignal = leading;
        self.log.push('started');
        await new Promise<void>((r) => leading.addEventListener('abort', () => r(), { once: true }));
        self.log.push('work-stopped');
      },
      onStoppedLeading: () => self.log.push('stopped'),
    });
    cleanup.push(async () => {
      abort.abort();
      await self.done;
    });
    return self;
  }

  it('exactly one of two candidates leads, and the Lease names it', async () => {
    const timings = { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 };
    const a = candidate('one-leader', 'candidate-a', timings);
    const b = candidate('one-leader', 'candidate-b', timings);
    await waitFor('a leader', 30_000, () => a.elector.isLeader() || b.elector.isLeader());
    // Watch both for several renew periods: never two leaders, never a change of leader.
    const first = a.elector.isLeader() ? a : b;
    for (let i = 0; i < 40; i++) {
      expect([a, b].filter((c) => c.elector.isLeader())).toEqual([first]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const lease = await readLease('one-leader');
    expect(lease?.spec?.holderIdentity).toBe(first.elector.identity);
    expect(lease?.spec?.leaseDurationSeconds).toBe(6);
    expect(first.log).toEqual(['started']);
  });

  it('a leader that shuts down releases the Lease and the standby takes over long before it would expire', async () => {
    // 60 s lease: a standby that had to wait for expiry would miss the 30 s wait below.
    const timings = { leaseDurationSeconds: 60, renewDeadlineSeconds: 40, retryPeriodSeconds: 1 };
    const a = candidate('release', 'release-a', timings);
    await waitFor('a leads', 30_000, () => a.elector.isLeader());
    const b = candidate('release', 'release-b', timings);
    await waitFor('b sees a leading', 10_000, async () => (await readLease('release'))?.spec?.holderIdentity === 'release-a');
    const before = await readLease('release');

    a.abort.abort();
    await a.done;
    expect(a.log).toEqual(['started', 'stopped', 'work-stopped']);
    expect(a.elector.isLeader()).toBe(false);
    await waitFor('b takes over', 30_000, () => b.elector.isLeader());
    const after = await readLease('release');
    expect(after?.spec?.holderIdentity).toBe('release-b');
    expect(after?.spec?.leaseTransitions).toBe((before?.spec?.leaseTransitions ?? 0) + 1);
  });

  it('a leader cut off from the API server stops leading within renewDeadline; the standby takes over after the lease expires', async () => {
    const timings = { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 };
    const cutOff = new PartitionableClient({ kubeConfig: testKubeConfig() });
    cleanup.push(() => cutOff.close());
    const a = candidate('partition', 'partition-a', timings, cutOff);
    await waitFor('a leads', 30_000, () => a.elector.isLeader());
    const b = candidate('partition', 'partition-b', timings);
    await waitFor('b observes the lease', 10_000, async () => (await readLease('partition'))?.spec?.holderIdentity === 'partition-a');

    cutOff.partitioned = true;
    await waitFor('a steps down', 20_000, () => !a.elector.isLeader());
    expect(a.leadingSignal?.aborted).toBe(true); // its work was told to stop writing
    expect(a.log).toEqual(['started', 'stopped', 'work-stopped']);
    await waitFor('b takes over', 30_000, () => b.elector.isLeader());
    expect((await readLease('partition'))?.spec?.holderIdentity).toBe('partition-b');

    // When the network comes back, a is a well-behaved standby: b keeps the lease.
    cutOff.partitioned = false;
    for (let i = 0; i < 30; i++) {
      expect(a.elector.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.elector.isLeader()).toBe(true);
  });

  it('a leader process killed with SIGKILL (no release) is replaced within the lease duration plus a few seconds', async () => {
    const leaseDurationSeconds = 8;
    const timings = { leaseDurationSeconds, renewDeadlineSeconds: 5, retryPeriodSeconds: 1 };
    const dir = await mkdtemp(join(tmpdir(), 'tenantsync-leader-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const script = join(dir, 'leader.mts');
    const url = (p: string) => pathToFileURL(resolve(p)).href;
    await writeFile(
      script,
      `import { KubeClient } from ${JSON.stringify(url('operator/kube/client.ts'))};
import { loadKubeConfig } from ${JSON.stringify(url('operator/kube/client.ts'))};
import { LeaderElector } from ${JSON.stringify(url('operator/runtime/leader-election.ts'))};
import { silentLogger } from ${JSON.stringify(url('operator/runtime/logger.ts'))};
const client = new KubeClient({ kubeConfig: loadKubeConfig({ kubeconfigPath: process.env.KC }) });
const elector = new LeaderElector({ client, namespace: ${JSON.stringify(ns.name)}, name: 'killed', identity: 'child', logger: silentLogger(),
  leaseDurationSeconds: ${timings.leaseDurationSeconds}, renewDeadlineSeconds: ${timings.renewDeadlineSeconds}, retryPeriodSeconds: ${timings.retryPeriodSeconds} });
await elector.run(new AbortController().signal, { onStartedLeading: async () => { console.log('LEADING'); await new Promise(() => {}); } });
`,
    );
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, KC: testKubeconfigPath() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => void child.kill('SIGKILL'));
    let childLeads = false;
    child.stdout!.on('data', (d: Buffer) => (childLeads ||= d.toString().includes('LEADING')));
    await waitFor('the child process leads', 60_000, () => childLeads);

    const standby = candidate('killed', 'standby', timings);
    await waitFor('standby observes the child holding the lease', 10_000, async () => (await readLease('killed'))?.spec?.holderIdentity === 'child');
    expect(standby.elector.isLeader()).toBe(false);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await waitFor('standby takes over from the dead leader', (leaseDurationSeconds + 10) * 1000, () => standby.elector.isLeader());
    const lease = await readLease('killed');
    expect(lease?.spec?.holderIdentity).toBe('standby');
    expect(lease?.spec?.leaseTransitions).toBe(1);
  });
});
