// When is a CRD ready to serve its resources? Only when the API server reports both NamesAccepted and
// Established True; a CRD read before its status is written is not ready (what `kubectl wait` races).
import type { V1CustomResourceDefinition, V1CustomResourceDefinitionCondition } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { crdEstablishment, crdNameOf, requiredCrdConditions } from '../../controlplane/crd-established.js';

const crdWith = (conditions?: Partial<V1CustomResourceDefinitionCondition>[]): V1CustomResourceDefinition =>
  ({
    metadata: { name: 'tenantsyncs.tenantsync.io' },
    spec: { group: 'tenantsync.io', names: { kind: 'TenantSync', plural: 'tenantsyncs' }, scope: 'Namespaced', versions: [] },
    ...(conditions === undefined ? {} : { status: { conditions: conditions as V1CustomResourceDefinitionCondition[] } }),
  }) as V1CustomResourceDefinition;

const names = { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
const established = { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' };

describe('crdEstablishment', () => {
  it('requires exactly NamesAccepted and Established', () => {
    expect([...requiredCrdConditions].sort()).toEqual(['Established', 'NamesAccepted']);
  });

  it.each<[string, V1CustomResourceDefinition | undefined, string | undefined]>([
    ['both True', crdWith([names, established]), undefined],
    ['both True, in the other order, beside other conditions', crdWith([{ type: 'NonStructuralSchema', status: 'False' }, established, names]), undefined],
    ['not found', undefined, 'the CRD is not found'],
    ['no status yet', crdWith(), 'status.conditions is not set yet'],
    ['an empty condition list', crdWith([]), 'status.conditions is not set yet'],
    ['names accepted, not yet established', crdWith([names]), 'Established is not reported yet'],
    ['established reported, names not', crdWith([established]), 'NamesAccepted is not reported yet'],
    ['only other conditions', crdWith([{ type: 'Terminating', status: 'False' }]), 'NamesAccepted is not reported yet, Established is not reported yet'],
    [
      'a name conflict',
      crdWith([{ type: 'NamesAccepted', status: 'False', reason: 'ListKindConflict', message: '"TenantSyncList" is already in use' }, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }]),
      'NamesAccepted=False (ListKindConflict: "TenantSyncList" is already in use), Established=False (NotAccepted: not all names are accepted)',
    ],
    ['Established Unknown with no reason', crdWith([names, { type: 'Established', status: 'Unknown' }]), 'Established=Unknown'],
    ['a reason without a message', crdWith([names, { type: 'Established', status: 'False', reason: 'Installing' }]), 'Established=False (Installing)'],
    ['status "true" is not "True"', crdWith([names, { ...established, status: 'true' }]), 'Established=true (InitialNamesAccepted: the initial names have been accepted)'],
  ])('%s', (_what, crd, why) => {
    expect(crdEstablishment(crd)).toEqual(why === undefined ? { ready: true } : { ready: false, why });
  });
});

describe('crdNameOf', () => {
  it.each([
    ['customresourcedefinition.apiextensions.k8s.io/tenantsyncs.tenantsync.io', 'tenantsyncs.tenantsync.io'],
    ['tenantsyncs.tenantsync.io', 'tenantsyncs.tenantsync.io'],
  ])('%s → %s', (kubectlName, name) => {
    expect(crdNameOf(kubectlName)).toBe(name);
  });
});
