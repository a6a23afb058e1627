// Pod settings of spec.job the CRD schema cannot check: label and annotation keys (a map's keys have no
// schema in a structural CRD). The operator checks them and names the key, as for any bad spec (Stalled
// InvalidSpec), before the API server would refuse the CronJob for it.
import { describe, expect, it } from 'vitest';
import { isQualifiedName } from '../../../operator/api/pod-fields.js';
import { describeSchemaError } from '../../../operator/api/schema-issues.js';
import { tenantSyncSpecSchema } from '../../../operator/api/tenantsync.js';
import { validSpec } from '../../cases/tenantsync-validation.js';

describe('label and annotation keys of the sync pod', () => {
  it.each(['team', 'example.com/team', 'app.kubernetes.io/part-of', 'a_b.c-d', 'x'.repeat(63)])('accepts %s', (key) => {
    expect(isQualifiedName(key)).toBe(true);
  });

  it.each(['', 'two words', '-team', 'Example.com/team', 'example.com/', `${'x'.repeat(64)}`, 'a/b/c'])('refuses %j', (key) => {
    expect(isQualifiedName(key)).toBe(false);
  });

  it('names the bad key of podLabels and podAnnotations', () => {
    const result = tenantSyncSpecSchema.safeParse({ ...validSpec, job: { podLabels: { 'bad key': 'x' }, podAnnotations: { 'example.com/': 'y' } } });
    expect(result.success).toBe(false);
    const text = describeSchemaError(result.error!, ['spec']);
    expect(text).toContain('spec.job.podLabels.bad key: must be a key such as team or example.com/team');
    expect(text).toContain('spec.job.podAnnotations.example.com/: must be a key');
  });
});
