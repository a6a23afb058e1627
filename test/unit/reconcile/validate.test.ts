import { describe, expect, it } from 'vitest';
import { validateTenantSync } from '../../../operator/reconcile/validate.js';
import { tenantSync } from './fixtures.js';

const valid = JSON.parse(JSON.stringify(tenantSync())) as Record<string, unknown> & { spec: Record<string, unknown> };

describe('validateTenantSync', () => {
  it('accepts a valid object and derives its schedule', () => {
    const v = validateTenantSync(valid);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.schedule.intervalSeconds).toBe(7200);
  });

  it.each([
    [{ interval: '7m' }, /^spec\.interval: must be a duration/],
    [{ interval: '2h', schedule: '* * * * *' }, /set either interval or schedule, not both/],
    [{ schedule: '99 * * * *' }, /^spec\.schedule: minute field: "99" is outside 0-59/],
    [{ sink: { url: 'http://example.com' } }, /^spec\.sink\.url: must be an https:\/\/ URL/],
    [{ source: { domain: 'acme.freshdesk.com' } }, /^spec\.source\.credentialsSecretRef: /],
  ])('rejects spec changes %o with a message naming the field', (change, message) => {
    const v = validateTenantSync({ ...valid, spec: { ...valid.spec, ...change } });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(message);
  });

  it('never throws, whatever it is given', () => {
    for (const raw of [null, 42, 'x', {}, { spec: null }, { ...valid, metadata: undefined }]) {
      expect(validateTenantSync(raw).ok).toBe(false);
    }
  });
});
