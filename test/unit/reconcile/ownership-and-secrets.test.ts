import { describe, expect, it } from 'vitest';
import { differingPaths } from '../../../operator/reconcile/compare.js';
import { conflictMessage, ownershipOf } from '../../../operator/reconcile/ownership.js';
import { missingSecretsMessage, secretReferences } from '../../../operator/reconcile/secrets.js';
import { tenantSync } from './fixtures.js';

const owner = { name: 'acme', namespace: 'ns', uid: 'mine' };
const ref = (uid: string, controller = true) => ({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid, controller });

describe('ownershipOf', () => {
  it.each([
    [{ ownerReferences: [ref('mine')] }, 'ours'],
    [{ ownerReferences: [ref('theirs')] }, 'conflict'],
    [{ ownerReferences: [ref('mine', false)] }, 'conflict'],
    [{ labels: { 'app.kubernetes.io/managed-by': 'tenantsync-operator' } }, 'adoptable'],
    [{ labels: { 'app.kubernetes.io/managed-by': 'helm' } }, 'conflict'],
    [{}, 'conflict'],
  ])('%o → %s', (meta, expected) => {
    expect(ownershipOf({ name: 'acme', ...meta }, owner)).toBe(expected);
  });

  it('tells the user what holds the name', () => {
    expect(conflictMessage('CronJob', { name: 'acme' }, 'ns')).toBe(
      'CronJob ns/acme already exists and was not created by tenant-sync; rename or delete it so this TenantSync can own it',
    );
  });
});

describe('secrets', () => {
  const ts = tenantSync({ sink: { url: 'https://s.example.com', authSecretRef: { name: 'sink', key: 'token' } } });
  const [source, sink] = secretReferences(ts.spec);

  it.each([
    [[['apiKey'], ['token']], undefined],
    [[undefined, ['token']], /^Secret ns\/acme-freshdesk \(Freshdesk API key \(spec.source.credentialsSecretRef\)\) not found; runs stay suspended/],
    [[['other'], ['token']], /has no key "apiKey"/],
    [[['apiKey'], undefined], /Secret ns\/sink \(sink token/],
    [[undefined, undefined], /acme-freshdesk.*; Secret ns\/sink/],
  ])('keys %o → %s', (keys, message) => {
    const text = missingSecretsMessage('ns', [
      { ref: source!, keys: keys[0] },
      { ref: sink!, keys: keys[1] },
    ]);
    if (message === undefined) expect(text).toBeUndefined();
    else expect(text).toMatch(message);
  });
});

describe('differingPaths', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, []],
    [{ a: 1 }, { a: 2 }, ['a']],
    [{ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 3, d: 4 }] } }, ['a.b[1].c']],
    [{ a: {} }, {}, []],
    [{ a: [] }, {}, []],
    [{ a: [1] }, { a: [1, 2] }, ['a']],
    [{ a: 'x' }, {}, ['a']],
  ])('%o vs live %o → %o', (desired, live, paths) => {
    expect(differingPaths(desired, live)).toEqual(paths);
  });
});
