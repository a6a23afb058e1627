// Fuzzed specs through the real API server (issue 15): seeded random and mutated TenantSync objects.
// Each is rejected by the API server (422/400, naming a field of spec) or stored and then reconciled to
// a verdict a person can act on: Ready=True, or Ready=False with InvalidSpec (and Stalled) or
// SecretNotFound. The operator never exits. npm test runs a few hundred; `npm run chaos` 2,000
// (TENANTSYNC_CHAOS_SPECS). The seed is in the test name: TENANTSYNC_CHAOS_SEED replays a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { isKubeError } from '../../operator/kube/errors.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { seededRandom } from '../chaos/random.js';
import { chaosCount, chaosEnv, chaosSeed, reportScenario } from '../chaos/settings.js';
import { fuzzSecrets, fuzzedManifest } from '../chaos/spec-fuzz.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { condition, createSecret, getTenantSync, testClient, waitFor, type StoredTenantSync } from './operator-helpers.js';

const count = chaosCount(chaosEnv.specs, 300);
const seed = chaosSeed();
/** Objects stored at once: each chunk is judged, then deleted, so the namespace never holds thousands. */
const chunkSize = 100;
const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('spec-fuzz');
  for (const [name, data] of Object.entries(fuzzSecrets)) await createSecret(client, ns.name, name, data);
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'spec-fuzz', logLevel: 'info' });
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

/** The verdict of a stored object once the operator has judged its current generation; false until then. */
function verdict(ts: StoredTenantSync | undefined): string | false {
  if (ts === undefined || ts.status?.observedGeneration !== ts.metadata.generation) return false;
  const ready = condition(ts, 'Ready');
  if (ready === undefined || ready.status === 'Unknown') return false;
  return ready.status === 'True' ? 'Ready' : ready.reason;
}

describe(`fuzzed TenantSync specs (seed ${seed})`, () => {
  it(`${count} random and mutated specs: each is rejected by the API server or judged by the operator, which never exits`, { timeout: Math.max(180_000, count * 600) }, async () => {
    const random = seededRandom(seed);
    const verdicts: Record<string, number> = { rejected: 0 };
    let exited = false;
    const mib = async (metric: string) => Math.round((await operator.metric(metric)) / 1048576);
    const memory: { afterFirstChunk?: string; atEnd?: string } = {};
    void operator.exited.then(() => (exited = true));
    for (let start = 0; start < count; start += chunkSize) {
      const stored: { name: string; origin: string }[] = [];
      for (let i = start; i < Math.min(count, start + chunkSize); i++) {
        const name = `fz-${i}`;
        const { manifest, origin } = fuzzedManifest(random, ns.name, name);
        try {
          await client.create(manifest as never);
          stored.push({ name, origin });
        } catch (err) {
          // The API server's answer to bad input: 422 Invalid (or 400 for a body it cannot decode), naming the field.
          expect(isKubeError(err, 'KUBE_INVALID') || isKubeError(err, 'KUBE_BAD_REQUEST'), `${name} (${origin}): ${String(err)}`).toBe(true);
          expect((err as Error).message, `${name} (${origin})`).toMatch(/spec|TenantSync/);
          verdicts.rejected = (verdicts.rejected ?? 0) + 1;
        }
      }
      for (const { name, origin } of stored) {
        const ts = await waitFor(`a verdict on ${name} (${origin})`, async () => {
          const got = await getTenantSync(client, ns.name, name);
          return verdict(got) ? got : false;
        }, 120_000, 250);
        const v = verdict(ts) as string;
        expect(['Ready', 'InvalidSpec', 'SecretNotFound'], `${name} (${origin}): ${JSON.stringify(condition(ts, 'Ready'))} spec ${JSON.stringify(ts.spec)}`).toContain(v);
        if (v === 'InvalidSpec') expect(condition(ts, 'Stalled')?.status, name).toBe('True');
        verdicts[v] = (verdicts[v] ?? 0) + 1;
      }
      expect(exited, `the operator exited:\n${operator.output().slice(-3000)}`).toBe(false);
      expect(await operator.isReady()).toBe(true);
      await Promise.all(stored.map(({ name }) => client.delete({ apiVersion, kind, namespace: ns.name, name })));
      const now = `RSS ${await mib('process_resident_memory_bytes')} MiB, heap ${await mib('nodejs_heap_size_used_bytes')} MiB`;
      if (start === 0) memory.afterFirstChunk = now;
      memory.atEnd = now;
    }
    console.log(`[spec-fuzz] seed ${seed}: ${count} specs → ${JSON.stringify(verdicts)}; operator after the first ${chunkSize}: ${memory.afterFirstChunk}, at the end: ${memory.atEnd}`);
    // Both sides were exercised: the fuzzer is not only feeding the API server garbage.
    expect(verdicts.rejected).toBeGreaterThan(0);
    expect(verdicts.Ready ?? 0).toBeGreaterThan(0);
    reportScenario({
      scenario: 'Fuzzed specs through the API server',
      rounds: `${count} specs`,
      checked: `each rejected by the API server (${verdicts.rejected}) or judged by the operator (${Object.entries(verdicts).filter(([k]) => k !== 'rejected').map(([k, n]) => `${k} ${n}`).join(', ')}); operator never exited; operator memory after the first ${chunkSize}: ${memory.afterFirstChunk}, at the end: ${memory.atEnd}`,
      lost: 'nothing',
      seed,
    });
  });
});
