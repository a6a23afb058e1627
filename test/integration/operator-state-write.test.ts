// The state ConfigMap (the tenant's cursors) is written with the resourceVersion it was computed from: a writer
// that got in between (another pass, a re-sync reset, a person) makes the write fail with 409, and the operator
// reads again and merges into the newer state — it never writes back a state that drops the other writer's change.
// Against the real API server, whose precondition this relies on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceState, type ResultsClient } from '../../operator/controller/run-results.js';
import type { OwnerIdentity } from '../../operator/reconcile/labels.js';
import type { JobResult } from '../../sync-job/contract.js';
import { createTestNamespace, type TestNamespace } from '../controlplane/test-kube.js';
import { createTenantSync, getConfigMap, testClient } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let owner: OwnerIdentity;

beforeAll(async () => {
  ns = await createTestNamespace('op-state-write');
  const ts = await createTenantSync(client, ns.name, 'acme');
  owner = { namespace: ns.name, name: 'acme', uid: ts.metadata.uid ?? '' };
});
afterAll(async () => ns?.cleanup());

function result(stream: string, updatedAt: string): JobResult {
  return {
    version: 1,
    outcome: 'Succeeded',
    startedAt: '2025-05-01T11:00:00Z',
    finishedAt: '2025-05-01T11:30:00Z',
    streams: { [stream]: { outcome: 'Succeeded', records: 1, cursor: { updatedAt } } },
  } as JobResult;
}

const cursors = async () => {
  const state = JSON.parse((await getConfigMap(client, ns.name, 'acme-state'))?.data?.['state.json'] ?? '{}') as { streams: Record<string, { cursor?: { updatedAt?: string } }> };
  return Object.fromEntries(Object.entries(state.streams).map(([stream, s]) => [stream, s.cursor?.updatedAt]));
};

describe('writing the state ConfigMap', () => {
  it('re-reads and merges when another writer changed it between the read and the write, keeping both changes', async () => {
    await advanceState(client, owner, [result('tickets', '2025-05-01T10:00:00Z')]);
    expect(await cursors()).toEqual({ tickets: '2025-05-01T10:00:00Z' });

    // Right after the operator's first read, another writer moves the contacts cursor.
    let reads = 0;
    const racing: ResultsClient = {
      get: async <T>(...args: Parameters<ResultsClient['get']>) => {
        const live = await client.get<T>(...args);
        if (++reads === 1) await advanceState(client, owner, [result('contacts', '2025-05-01T10:30:00Z')]);
        return live;
      },
      list: client.list.bind(client),
      create: client.create.bind(client),
      mergePatch: client.mergePatch.bind(client),
    } as ResultsClient;
    const write = await advanceState(racing, owner, [result('tickets', '2025-05-01T11:00:00Z')]);

    expect(write.written).toBe(true);
    expect(reads).toBe(2); // the 409 made it read again
    expect(await cursors()).toEqual({ tickets: '2025-05-01T11:00:00Z', contacts: '2025-05-01T10:30:00Z' });
    expect((await getConfigMap(client, ns.name, 'acme-state'))?.metadata?.ownerReferences?.[0]?.uid).toBe(owner.uid);
  });
});
