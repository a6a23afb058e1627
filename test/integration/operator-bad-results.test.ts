// Bad result messages (issue 15): termination messages that are garbage, cut, oversized, of a wrong
// version or shape, and valid results whose cursor moves backwards. Finished Jobs and pods are made by
// hand as the Job controller and kubelet leave them. None may move a cursor: garbage is a Failed run,
// a backwards cursor is ignored; the operator never exits. TENANTSYNC_CHAOS_RESULTS sets how many.
import type { V1CronJob } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateSchema } from '../../sync-job/contract.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { badResult, resultAhead } from '../chaos/bad-results.js';
import { seededRandom } from '../chaos/random.js';
import { chaosCount, chaosEnv, chaosSeed, reportScenario } from '../chaos/settings.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import {
  createSecret,
  createTenantSync,
  credentialsSecret,
  finishedJob,
  getConfigMap,
  getCronJob,
  getTenantSync,
  testClient,
  waitFor,
  waitReady,
  type StoredTenantSync,
} from './operator-helpers.js';

const count = chaosCount(chaosEnv.results, 12);
const seed = chaosSeed();
const client = testClient();
const tenant = 'bad';
const streams = ['tickets', 'contacts'] as const;
let ns: TestNamespace;
let operator: OperatorProcess;
let cronJob: V1CronJob;

/** Run times: 20 s apart from a base before all of them, so each run is newer than the last and none is in the future. */
const base = Math.floor((Date.now() - (count + 2) * 20_000) / 1000) * 1000;
const runTime = (n: number) => new Date(base + n * 20_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const acknowledgedAt = '2026-01-02T03:04:05Z';
const olderAt = '2025-06-01T00:00:00Z';
const aheadAt = '2031-01-01T00:00:00Z';

const tsNow = () => getTenantSync(client, ns.name, tenant) as Promise<StoredTenantSync>;
const lastRunIs = (jobName: string) =>
  waitFor(`status.lastRun to be Job ${jobName}`, async () => {
    const ts = await tsNow();
    return ts.status?.lastRun?.jobName === jobName ? ts : false;
  });
async function storedState() {
  const cm = await getConfigMap(client, ns.name, `${tenant}-state`);
  return stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? '{}'));
}
const acknowledged = { cursor: { updatedAt: acknowledgedAt, ids: ['5'] } };

beforeAll(async () => {
  ns = await createTestNamespace('bad-results');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'bad-results', logLevel: 'info' });
  await createTenantSync(client, ns.name, tenant, {
    interval: '24h',
    job: { successfulJobsHistoryLimit: 100, failedJobsHistoryLimit: 100 },
    source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: credentialsSecret, key: 'apiKey' }, streams: streams.map((name) => ({ name })) },
  });
  await waitReady(client, ns.name, tenant);
  cronJob = (await getCronJob(client, ns.name, tenant)) as V1CronJob;
  // One good run: the cursors every bad message below must leave alone.
  const good = resultAhead(runTime(0), acknowledgedAt, streams);
  for (const s of Object.values(good.streams)) s.cursor = { updatedAt: acknowledgedAt, ids: ['5'] };
  await finishedJob(client, cronJob, {
    name: 'bad-good-0',
    state: 'Complete',
    startTime: runTime(0),
    completionTime: runTime(0),
    attempts: [{ exitCode: 0, finishedAt: runTime(0), message: JSON.stringify(good) }],
  });
  await lastRunIs('bad-good-0');
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe(`bad result messages (seed ${seed})`, () => {
  it(`${count} garbage, cut, oversized and wrong-version messages are Failed runs that move no cursor`, { timeout: Math.max(180_000, count * 10_000) }, async () => {
    const random = seededRandom(seed);
    const kinds = new Set<string>();
    for (let i = 1; i <= count; i++) {
      const bad = badResult(random, resultAhead(runTime(i), aheadAt, streams));
      kinds.add(bad.kind);
      const name = `bad-${i}`;
      const complete = random.chance(0.5);
      await finishedJob(client, cronJob, {
        name,
        state: complete ? 'Complete' : 'Failed',
        ...(complete ? {} : { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }),
        startTime: runTime(i),
        completionTime: runTime(i),
        attempts: [{ exitCode: complete ? 0 : 1, finishedAt: runTime(i), message: bad.message }],
      });
      const ts = await lastRunIs(name);
      expect(ts.status?.lastRun, `${bad.kind}: ${bad.message.slice(0, 300)}`).toMatchObject({ outcome: 'Failed', message: expect.stringContaining('no result from the sync job') });
      expect(ts.status?.streams?.map((s) => s.cursor)).toEqual([acknowledgedAt, acknowledgedAt]);
      expect((await storedState()).streams, bad.kind).toEqual({ tickets: { ...acknowledged, lastSuccessAt: runTime(0) }, contacts: { ...acknowledged, lastSuccessAt: runTime(0) } });
    }
    expect(await operator.isReady()).toBe(true);
    reportScenario({ scenario: 'Bad result messages', rounds: `${count} messages`, checked: `Failed run, no cursor moved (${[...kinds].join('; ')})`, lost: 'nothing applied', seed });
  });

  it('a newer run whose cursor is behind the acknowledged one is recorded but moves no cursor back', async () => {
    const behind = resultAhead(runTime(count + 1), olderAt, streams);
    await finishedJob(client, cronJob, {
      name: 'bad-behind',
      state: 'Complete',
      startTime: runTime(count + 1),
      completionTime: runTime(count + 1),
      attempts: [{ exitCode: 0, finishedAt: runTime(count + 1), message: JSON.stringify(behind) }],
    });
    const ts = await lastRunIs('bad-behind');
    expect(ts.status?.lastRun?.outcome).toBe('Succeeded');
    expect(ts.status?.streams?.map((s) => s.cursor)).toEqual([acknowledgedAt, acknowledgedAt]);
    const state = await storedState();
    expect(state.streams.tickets?.cursor).toEqual(acknowledged.cursor);
    expect(state.streams.contacts?.cursor).toEqual(acknowledged.cursor);
    expect(await operator.isReady()).toBe(true);
  });
});
