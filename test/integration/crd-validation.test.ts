// The validation table against the real API server: each rejected manifest fails `kubectl apply`
// with a message naming the field; each accepted one is stored as the operator expects to read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCrdYaml } from '../../operator/api/crd.js';
import { effectiveIntervalSeconds, tenantSyncSchema } from '../../operator/api/tenantsync.js';
import { describeSchemaError } from '../../operator/api/schema-issues.js';
import {
  apiserverErrorsAbout,
  apiserverMessage,
  manifestOf,
  validationCases,
  valueAt,
  type AcceptedCase,
  type RejectedCase,
} from '../cases/tenantsync-validation.js';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';

const rejectedCases = validationCases.filter((c): c is RejectedCase => c.verdict === 'rejected');
const acceptedCases = validationCases.filter((c): c is AcceptedCase => c.verdict === 'accepted');

let ns: TestNamespace;
beforeAll(async () => {
  ns = await createTestNamespace('crd-validation');
});
afterAll(async () => {
  await ns?.cleanup();
});

const apply = (manifest: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], { input: JSON.stringify(manifest) });

describe('the generated CRD', () => {
  it('is installed, structural and Established', async () => {
    const got = await kubectl(['get', 'crd', 'tenantsyncs.tenantsync.io', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const conditions = JSON.parse(got.stdout).status.conditions as { type: string; status: string }[];
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    expect(conditions.find((c) => c.type === 'NonStructuralSchema')).toBeUndefined();
  });

  it('as the generator builds it now: its CEL rules compile and stay within the cost budget', async () => {
    // The API server estimates each rule's worst-case cost from maxLength/maxItems and refuses the CRD when over budget.
    const dryRun = await kubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=tenant-sync-test', '-f', '-'], {
      input: renderCrdYaml(),
    });
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
  });
});

describe('kubectl apply rejects, with a message naming the field', () => {
  it.each(rejectedCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const manifest = manifestOf(c);
    const result = await apply(manifest);
    expect(result.code, `${c.why}; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr).toContain('is invalid');
    // The wording must be in the error about this field, not anywhere in stderr.
    const aboutField = apiserverErrorsAbout(result.stderr, c.field);
    expect(aboutField, `no error names ${c.field}: ${result.stderr}`).not.toEqual([]);
    expect(aboutField.join('\n'), result.stderr).toContain(apiserverMessage(c));
    const stored = await kubectl(['get', '-n', ns.name, 'tenantsync', c.name ?? c.id]);
    expect(stored.stderr).toContain('NotFound');
  });
});

describe('kubectl apply accepts and stores', () => {
  it.each(acceptedCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const result = await apply(manifestOf(c));
    expect(result.stderr, c.why).toBe('');
    expect(result.code).toBe(0);
    const got = await kubectl(['get', '-n', ns.name, 'tenantsync', c.name ?? c.id, '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const stored: unknown = JSON.parse(got.stdout);
    for (const path of c.stored?.absent ?? []) expect(valueAt(stored, path), path).toBeUndefined();
    for (const [path, value] of Object.entries(c.stored?.values ?? {})) expect(valueAt(stored, path), path).toEqual(value);
    // What the API server stored, defaults included, is what the operator reads: it must validate.
    const parsed = tenantSyncSchema.safeParse(stored);
    expect(parsed.success, parsed.success ? '' : describeSchemaError(parsed.error)).toBe(true);
    if (parsed.success && c.effectiveIntervalSeconds !== undefined) {
      expect(effectiveIntervalSeconds(parsed.data.spec)).toBe(c.effectiveIntervalSeconds);
    }
  });
});
