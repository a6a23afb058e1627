// The validation table fed to the zod schema: the operator's verdict on each manifest must be the
// API server's (test/integration/crd-validation.test.ts runs the same table against a real one).
import { describe, expect, it } from 'vitest';
import { describeSchemaError, fieldPathOf } from '../../../operator/api/schema-issues.js';
import { effectiveIntervalSeconds, tenantSyncSchema } from '../../../operator/api/tenantsync.js';
import {
  apiserverErrorsAbout,
  apiserverMessage,
  manifestOf,
  validationCases,
  zodMessage,
  type AcceptedCase,
  type RejectedCase,
} from '../../cases/tenantsync-validation.js';

const rejectedCases = validationCases.filter((c): c is RejectedCase => c.verdict === 'rejected');
const acceptedCases = validationCases.filter((c): c is AcceptedCase => c.verdict === 'accepted');

describe('zod rejects what the API server rejects, naming the field', () => {
  it.each(rejectedCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = tenantSyncSchema.safeParse(manifestOf(c));
    expect(result.success, c.why).toBe(false);
    if (result.success) return;
    const named = result.error.issues.filter((issue) => {
      const path = fieldPathOf(issue.path);
      return path === c.field || path.startsWith(`${c.field}.`) || path.startsWith(`${c.field}[`);
    });
    expect(named.map((i) => fieldPathOf(i.path)), `issues: ${describeSchemaError(result.error)}`).not.toEqual([]);
    expect(named.map((i) => i.message).join('\n')).toContain(zodMessage(c));
  });
});

describe('the case table', () => {
  it('gives every rejected case a wording to find for each side, not just the field', () => {
    const vague = rejectedCases.filter((c) => apiserverMessage(c).trim().length < 4 || zodMessage(c).trim().length < 4).map((c) => c.id);
    expect(vague).toEqual([]);
  });

  it('has unique ids', () => {
    const ids = validationCases.map((c) => c.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

// The API server's side runs in test/integration/crd-validation.test.ts; this is how it reads stderr.
describe('apiserverErrorsAbout', () => {
  const single = 'The TenantSync "rate-limit-zero" is invalid: spec.source.rateLimitPerMinute: Invalid value: 0: spec.source.rateLimitPerMinute in body should be greater than or equal to 1';
  const bullets = [
    'The TenantSync "sink-token-ref-without-name" is invalid: ',
    '* spec.sink.authSecretRef.name: Required value',
    '* <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  ].join('\n');

  it('returns what a one-line error says about the field', () => {
    expect(apiserverErrorsAbout(single, 'spec.source.rateLimitPerMinute')).toEqual([
      'Invalid value: 0: spec.source.rateLimitPerMinute in body should be greater than or equal to 1',
    ]);
  });

  it('returns the bullet about the field, not the others', () => {
    expect(apiserverErrorsAbout(bullets, 'spec.sink.authSecretRef.name')).toEqual(['Required value']);
  });

  it('does not take an error about a parent or child field for this one', () => {
    expect(apiserverErrorsAbout(bullets, 'spec.sink.authSecretRef')).toEqual([]);
    expect(apiserverErrorsAbout(bullets, 'spec.sink')).toEqual([]);
    expect(apiserverErrorsAbout('x is invalid: spec.source.streams[1]: Duplicate value: {"name":"tickets"}', 'spec.source.streams')).toEqual([]);
  });
});

describe('zod accepts what the API server accepts', () => {
  it.each(acceptedCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = tenantSyncSchema.safeParse(manifestOf(c));
    expect(result.success, result.success ? '' : describeSchemaError(result.error)).toBe(true);
    if (!result.success) return;
    if (c.effectiveIntervalSeconds !== undefined) expect(effectiveIntervalSeconds(result.data.spec)).toBe(c.effectiveIntervalSeconds);
  });
});

describe('defaults', () => {
  it('neither interval nor schedule: no interval is filled in, and the tenant runs every 2h', () => {
    const c = validationCases.find((x) => x.id === 'interval-default') as AcceptedCase;
    const spec = tenantSyncSchema.parse(manifestOf(c)).spec;
    expect(spec.interval).toBeUndefined();
    expect(spec.schedule).toBeUndefined();
    expect(effectiveIntervalSeconds(spec)).toBe(7200);
  });

  it('only a schedule: no interval default appears to conflict with it, and there is no base interval', () => {
    const c = validationCases.find((x) => x.id === 'schedule-with-timezone') as AcceptedCase;
    const parsed = tenantSyncSchema.parse(manifestOf(c));
    // Round trip: what the operator reads back must still validate (a defaulted interval would now clash).
    expect(tenantSyncSchema.safeParse(parsed).success).toBe(true);
    expect(parsed.spec.interval).toBeUndefined();
    expect(effectiveIntervalSeconds(parsed.spec)).toBeUndefined();
  });

  it('fills the defaults the CRD declares', () => {
    const c = validationCases.find((x) => x.id === 'job-defaults') as AcceptedCase;
    const spec = tenantSyncSchema.parse(manifestOf(c)).spec;
    expect(spec).toMatchObject({
      suspend: false,
      source: { type: 'freshdesk', credentialsSecretRef: { key: 'apiKey' } },
      sink: { type: 'http', batchSize: 100 },
      job: { timeout: '1h', backoffLimit: 2, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 },
    });
  });

  it('reads quantities as the strings a container spec takes', () => {
    const c = validationCases.find((x) => x.id === 'job-everything') as AcceptedCase;
    const spec = tenantSyncSchema.parse(manifestOf(c)).spec;
    expect(spec.job?.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } });
  });
});

describe('describeSchemaError', () => {
  it('names fields the way the API server does', () => {
    const c = validationCases.find((x) => x.id === 'stream-unknown') as RejectedCase;
    const result = tenantSyncSchema.safeParse(manifestOf(c));
    expect(result.success).toBe(false);
    if (!result.success) expect(describeSchemaError(result.error)).toMatch(/^spec\.source\.streams\[0\]\.name: /);
  });
});
