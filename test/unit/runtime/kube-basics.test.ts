// Small pure pieces of the kube adapter and runtime: URL paths per kind and scope, HTTP status →
// stable error code, listen addresses, backoff, and kubeconfig discovery failing loudly.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../operator/kube/client.js';
import { isTransientKubeError, KubeApiError, kubeErrorCodeFor } from '../../../operator/kube/errors.js';
import { apiPrefix, resourceLabel, resourcePath } from '../../../operator/kube/resources.js';
import { parseListenAddress } from '../../../operator/runtime/health-server.js';
import { expBackoffMs, jittered } from '../../../operator/runtime/sleep.js';

describe('resourcePath', () => {
  const cm = { apiVersion: 'v1', plural: 'configmaps', namespaced: true };
  const ts = { apiVersion: 'tenantsync.io/v1alpha1', plural: 'tenantsyncs', namespaced: true };
  const ns = { apiVersion: 'v1', plural: 'namespaces', namespaced: false };
  it.each([
    [cm, {}, '/api/v1/configmaps'],
    [cm, { namespace: 'a' }, '/api/v1/namespaces/a/configmaps'],
    [cm, { namespace: 'a', name: 'x' }, '/api/v1/namespaces/a/configmaps/x'],
    [ts, { namespace: 'a', name: 'x', subresource: 'status' }, '/apis/tenantsync.io/v1alpha1/namespaces/a/tenantsyncs/x/status'],
    [ns, { namespace: 'ignored', name: 'kube-system' }, '/api/v1/namespaces/kube-system'],
  ])('%o %o → %s', (type, where, path) => expect(resourcePath(type, where)).toBe(path));
  it('prefixes core and named groups', () => {
    expect(apiPrefix('v1')).toBe('/api/v1');
    expect(apiPrefix('batch/v1')).toBe('/apis/batch/v1');
  });
  it('labels writes by resource and subresource', () => {
    expect(resourceLabel('tenantsyncs', 'status')).toBe('tenantsyncs/status');
    expect(resourceLabel('cronjobs')).toBe('cronjobs');
  });
});

describe('kubeErrorCodeFor', () => {
  it.each([
    [404, undefined, 'KUBE_NOT_FOUND'],
    [409, 'AlreadyExists', 'KUBE_ALREADY_EXISTS'],
    [409, 'Conflict', 'KUBE_CONFLICT'],
    [410, 'Expired', 'KUBE_GONE'],
    [422, 'Invalid', 'KUBE_INVALID'],
    [403, 'Forbidden', 'KUBE_FORBIDDEN'],
    [429, 'TooManyRequests', 'KUBE_TOO_MANY_REQUESTS'],
    [503, 'ServiceUnavailable', 'KUBE_SERVER_ERROR'],
    [418, undefined, 'KUBE_ERROR'],
  ])('%i %s → %s', (status, reason, code) => expect(kubeErrorCodeFor(status, reason)).toBe(code));
  it('calls outages and conflicts transient, user errors not', () => {
    const err = (code: ConstructorParameters<typeof KubeApiError>[0]['code']) => new KubeApiError({ code, message: '', method: 'GET', path: '/' });
    expect(isTransientKubeError(err('KUBE_UNAVAILABLE'))).toBe(true);
    expect(isTransientKubeError(err('KUBE_CONFLICT'))).toBe(true);
    expect(isTransientKubeError(err('KUBE_INVALID'))).toBe(false);
    expect(isTransientKubeError(new Error('x'))).toBe(false);
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':8080', { host: undefined, port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('%s', (text, parsed) => expect(parseListenAddress(text)).toEqual(parsed));
  it('rejects an address without a port', () => expect(() => parseListenAddress('localhost')).toThrow(/host:port/));
});

describe('expBackoffMs and jittered', () => {
  it('doubles and caps', () => expect([0, 1, 2, 5, 6, 100].map((n) => expBackoffMs(n, 500, 15_000))).toEqual([500, 1_000, 2_000, 15_000, 15_000, 15_000]));
  it('stretches by at most the jitter fraction', () => {
    expect(jittered(1_000, 0.2, () => 0)).toBe(1_000);
    expect(jittered(1_000, 0.2, () => 0.999)).toBe(1_200);
  });
});

describe('loadKubeConfig', () => {
  const saved = { ...process.env };
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'kc-'));
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    delete process.env.KUBERNETES_SERVICE_HOST;
  });
  afterEach(async () => {
    process.env = { ...saved };
    await rm(home, { recursive: true, force: true });
  });

  it('fails with KUBECONFIG_NOT_FOUND instead of silently using http://localhost:8080', () => {
    expect(() => loadKubeConfig()).toThrow(expect.objectContaining({ code: 'KUBECONFIG_NOT_FOUND' }));
  });
  it('names a missing explicit path', () => {
    expect(() => loadKubeConfig({ kubeconfigPath: join(home, 'nope') })).toThrow(/nope does not exist/);
  });
  it('reads $KUBECONFIG', async () => {
    const path = join(home, 'config');
    await writeFile(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    process.env.KUBECONFIG = path;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });
});
