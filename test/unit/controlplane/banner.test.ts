// The first line of a cluster test run names the Kubernetes version the live API server reported.
import { describe, expect, it } from 'vitest';
import { controlPlaneBanner } from '../../controlplane/banner.js';
import { gitVersionOf } from '../../controlplane/control-plane.js';
import { ControlPlaneError } from '../../controlplane/errors.js';

const server = 'https://127.0.0.1:41234';
const crd = 'customresourcedefinition.apiextensions.k8s.io/tenantsyncs.tenantsync.io';

describe('controlPlaneBanner', () => {
  it('names the version it is given, where the API server listens, the start time and the CRDs', () => {
    expect(controlPlaneBanner({ version: 'v1.37.2', server, startupMs: 3140, crds: [crd] })).toBe(
      '[controlplane] Kubernetes v1.37.2 (kube-apiserver at https://127.0.0.1:41234, ready in 3.1 s; CRDs: tenantsyncs.tenantsync.io)',
    );
  });

  it('prints whatever version the server reported, not one it was built for', () => {
    for (const version of ['v1.34.0', 'v1.36.1-rc.0+dirty', 'v2.0.0']) {
      expect(controlPlaneBanner({ version, server, startupMs: 0, crds: [] }).startsWith(`[controlplane] Kubernetes ${version} (`)).toBe(true);
    }
  });

  it('lists several CRDs by name, and says when there are none', () => {
    expect(controlPlaneBanner({ version: 'v1.37.2', server, startupMs: 12_049, crds: [crd, 'widgets.example.io'] })).toContain(
      'ready in 12.0 s; CRDs: tenantsyncs.tenantsync.io, widgets.example.io)',
    );
    expect(controlPlaneBanner({ version: 'v1.37.2', server, startupMs: 500, crds: [] })).toContain('CRDs: none in crds/)');
  });
});

describe('gitVersionOf: the version the banner prints comes from the answer to GET /version', () => {
  const body = (gitVersion: unknown) => JSON.stringify({ major: '1', minor: '37', gitVersion, platform: 'linux/amd64' });

  it('reads gitVersion from a 200 answer', () => {
    expect(gitVersionOf(server, { status: 200, body: body('v1.37.2') })).toBe('v1.37.2');
    expect(gitVersionOf(server, { status: 200, body: body('v1.35.4') })).toBe('v1.35.4');
  });

  it.each([
    ['an error status', { status: 403, body: body('v1.37.2') }],
    ['no gitVersion', { status: 200, body: JSON.stringify({ major: '1' }) }],
    ['an empty gitVersion', { status: 200, body: body('') }],
    ['a gitVersion that is not a string', { status: 200, body: body(137) }],
    ['a body that is not JSON', { status: 500, body: 'Internal Server Error' }],
    ['a JSON null body', { status: 200, body: 'null' }],
  ])('refuses %s, naming the URL, status and body', (_what, answer) => {
    let thrown: unknown;
    try {
      gitVersionOf(server, answer);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ControlPlaneError);
    expect((thrown as Error).message).toContain(`GET ${server}/version answered HTTP ${answer.status}: ${answer.body.slice(0, 40)}`);
  });
});
