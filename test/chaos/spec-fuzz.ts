// Fuzzed TenantSync manifests: seeded random specs and mutations of the validation table's cases
// (test/cases/tenantsync-validation.ts). Each must be rejected by the API server or, once stored, be
// reconciled by the operator to a verdict (Ready, or Ready=False with a reason that names the problem).
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { mergePatch, validSpec, validationCases, type Json, type JsonObject } from '../cases/tenantsync-validation.js';
import type { Random } from './random.js';

/** Secrets the fuzzed specs may name (the table's names): created by the test, so most specs can become Ready. */
export const fuzzSecrets: Record<string, Record<string, string>> = {
  'acme-freshdesk': { apiKey: 'fuzz-key', 'api-key': 'fuzz-key' },
  'acme-sink': { token: 'fuzz-token' },
};

function leaves(value: Json, out: Json[]): Json[] {
  if (value !== null && typeof value === 'object') for (const v of Array.isArray(value) ? value : Object.values(value)) leaves(v, out);
  else out.push(value);
  return out;
}

/** Every leaf value of the validation table (valid and invalid ones) plus values no table thinks of. */
const valuePool: Json[] = [
  ...new Set(validationCases.flatMap((c) => leaves(c.spec, []))),
  '', ' ', '0', '-1', 'null', 'true', '1e309', '∞', 'ü', '\u0000', '💥', 'x'.repeat(300), 'a'.repeat(5000), '*/1 * * * *', '61 * * * *',
  '1m', '2h', '3h', '168h', '169h', '0.001s', '1h1m', 'P1D', 'http://127.0.0.1:1/', 'https://', 'https://a', 'http://[::1]', 'https://x.example.com/%zz',
  'tickets', 'conversations', 'contacts', 'companies', 'agents', 'groups', 'articles', 'satisfaction_ratings', 'time_entries',
  0, -1, 1, 2.5, 59, 60, 1e9, -1e9, 2 ** 53, 10_000, 10_001, true, false, null, [], {}, [null], { '': '' },
];

const acceptedCases = validationCases.filter((c) => c.verdict === 'accepted');

/** Values the table gives each key (e.g. every `interval` it tries): a plausible replacement for that key. */
const valuesByKey = new Map<string, Json[]>();
function collectByKey(value: Json): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Array.isArray(value) ? [] : Object.entries(value)) {
    valuesByKey.set(key, [...(valuesByKey.get(key) ?? []), v]);
    collectByKey(v);
  }
  if (Array.isArray(value)) value.forEach(collectByKey);
}
for (const c of validationCases) collectByKey(c.spec);
collectByKey(validSpec);

/** A value for `key`: most often one the table uses for that key, else anything from the pool. */
function valueFor(random: Random, key: string): Json {
  const known = valuesByKey.get(key);
  return known !== undefined && random.chance(0.6) ? structuredClone(random.pick(known)) : randomValue(random);
}

const topLevelKeys = ['tenantId', 'interval', 'schedule', 'timeZone', 'suspend', 'source', 'sink', 'job', 'unknownField'];
const sourceKeys = ['type', 'domain', 'baseUrl', 'credentialsSecretRef', 'streams', 'startDate', 'lookback', 'rateLimitPerMinute'];
const sinkKeys = ['type', 'url', 'authSecretRef', 'batchSize'];
const jobKeys = ['image', 'resources', 'timeout', 'backoffLimit', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'nodeSelector', 'tolerations'];

function randomValue(random: Random, depth = 0): Json {
  if (depth < 2 && random.chance(0.15)) {
    if (random.chance(0.5)) return Array.from({ length: random.int(0, 3) }, () => randomValue(random, depth + 1));
    return Object.fromEntries(Array.from({ length: random.int(0, 3) }, () => [random.pick([...sourceKeys, ...sinkKeys, 'name', 'key', 'x']), randomValue(random, depth + 1)]));
  }
  return random.pick(valuePool);
}

type Container = JsonObject | Json[];
/** Every object and array in the tree, with the tree itself first. */
function containers(value: Json, out: Container[] = []): Container[] {
  if (value !== null && typeof value === 'object') {
    out.push(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) containers(v, out);
  }
  return out;
}

/** One random edit in place: remove, replace, add or duplicate something somewhere in the spec. */
function mutate(spec: JsonObject, random: Random): void {
  const target = random.pick(containers(spec));
  if (Array.isArray(target)) {
    const op = random.int(0, 2);
    if (op === 0 && target.length > 0) target.splice(random.int(0, target.length - 1), 1);
    else if (op === 1 && target.length > 0) target.push(structuredClone(random.pick(target)));
    else target.push(randomValue(random));
    return;
  }
  const keys = Object.keys(target);
  const op = random.int(0, 3);
  if (op === 0 && keys.length > 0) delete target[random.pick(keys)];
  else if (op === 1 && keys.length > 0) {
    const key = random.pick(keys);
    target[key] = valueFor(random, key);
  } else {
    const key = random.pick([...topLevelKeys, ...sourceKeys, ...sinkKeys, ...jobKeys, 'name', 'key', 'interval']);
    target[key] = valueFor(random, key);
  }
}

/** A spec built from scratch: each field present or not, with a value from the pool. */
function randomSpec(random: Random): JsonObject {
  const pick = (keys: string[], p: number): JsonObject => Object.fromEntries(keys.filter(() => random.chance(p)).map((k) => [k, valueFor(random, k)]));
  const spec = pick(topLevelKeys.filter((k) => !['source', 'sink', 'job'].includes(k)), 0.15);
  if (random.chance(0.95)) spec.source = { ...(structuredClone(validSpec.source) as JsonObject), ...pick(sourceKeys, 0.25) };
  if (random.chance(0.95)) spec.sink = { ...(structuredClone(validSpec.sink) as JsonObject), ...pick(sinkKeys, 0.25) };
  if (random.chance(0.4)) spec.job = pick(jobKeys, 0.3);
  return spec;
}

export interface FuzzedManifest {
  manifest: JsonObject;
  /** How it was made, for a person reading a failure. */
  origin: string;
}

/** The i-th fuzzed manifest of a run: a mutated table case (most) or a spec from scratch. */
export function fuzzedManifest(random: Random, namespace: string, name: string): FuzzedManifest {
  let spec: JsonObject;
  let origin: string;
  if (random.chance(0.65)) {
    // Mostly accepted cases, so that many mutants are stored and reach the operator.
    const base = random.pick(random.chance(0.7) ? acceptedCases : validationCases);
    spec = structuredClone(mergePatch(validSpec, base.spec)) as JsonObject;
    const edits = random.pick([1, 1, 1, 2, 2, 3]);
    for (let i = 0; i < edits; i++) mutate(spec, random);
    origin = `case ${base.id} with ${edits} random edits`;
  } else {
    spec = randomSpec(random);
    origin = 'random spec';
  }
  return { manifest: { apiVersion, kind, metadata: { name, namespace }, spec }, origin };
}
