// The API server goes away while the operator runs: the process stays up (no exit, /healthz answers),
// and a TenantSync created while its API server was down is reconciled once it is back.
//
// The shared control plane cannot be restarted under the other tests, so this file starts its own
// (etcd + kube-apiserver "A", no controller manager) plus a second kube-apiserver "B" on the same
// etcd. The operator talks only to A. A is killed; the TenantSync is created through B (the cluster
// itself is up, as with an HA control plane, but the operator's API server is not); A is started
// again with exactly its old command line (read from /proc) on its old port.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { apiVersion, kind, plural } from '../../operator/api/tenantsync.js';
import { KubeClient } from '../../operator/kube/client.js';
import { startControlPlane, type ControlPlane } from '../controlplane/control-plane.js';
import { installCrds } from '../controlplane/crds.js';
import { freeLoopbackPorts } from '../controlplane/ports.js';
import { signalComponent, startComponent, stopProcess, type Component } from '../controlplane/processes.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, sleep, waitFor, waitReady } from './operator-helpers.js';

const namespace = 'restart';
let cp: ControlPlane;
let apiserverArgs: string[];
let apiserverA: Component | undefined;
let apiserverB: Component | undefined;
let viaA: KubeClient;
let viaB: KubeClient;
let operator: OperatorProcess | undefined;

function clientFor(kubeconfigPath: string): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const client = new KubeClient({ kubeConfig, userAgent: 'tenant-sync-test', requestTimeoutMs: 5_000 });
  client.registerResourceType({ apiVersion, kind, plural, namespaced: true });
  return client;
}

function startApiserver(name: string, args: string[]): Component {
  return startComponent({ name, command: cp.binaries.paths['kube-apiserver'], args, logPath: join(cp.dir, 'logs', `${name}.log`), lifetime: 'owned' });
}

const servesRequests = (client: KubeClient) => () => client.list('v1', 'Namespace', { limit: 1 }).then(() => true, () => false);

beforeAll(async () => {
  cp = await startControlPlane({ controllerManager: false });
  await installCrds(cp.kubectlPath, cp.kubeconfigPath);
  const recorded = cp.processes.find((p) => p.name === 'kube-apiserver');
  if (!recorded) throw new Error('control plane has no kube-apiserver process');
  // The process exec'd the binary (through setpriv), so its command line is the binary and its flags.
  apiserverArgs = readFileSync(`/proc/${recorded.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
  apiserverA = { ...recorded, name: 'kube-apiserver', logPath: '', exited: new Promise(() => undefined), hasExited: () => false } as Component;

  const [portB] = await freeLoopbackPorts(1);
  apiserverB = startApiserver('kube-apiserver-b', apiserverArgs.map((a) => (a.startsWith('--secure-port=') ? `--secure-port=${portB}` : a)));
  const config = parse(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${portB}`;
  const kubeconfigB = join(cp.dir, 'kubeconfig-b');
  writeFileSync(kubeconfigB, stringify(config), { mode: 0o600 });

  viaA = clientFor(cp.kubeconfigPath);
  viaB = clientFor(kubeconfigB);
  await waitFor('second API server to serve', servesRequests(viaB), 120_000, 500);
  await viaA.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await createSecret(viaA, namespace, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: cp.kubeconfigPath, leaseNamespace: namespace, leaseName: 'op-restart' });
}, 600_000);

afterAll(async () => {
  await operator?.kill('SIGKILL');
  for (const c of [apiserverB, apiserverA]) if (c) await stopProcess(c).catch(() => undefined);
  await cp?.stop();
});

describe('API server restart', () => {
  it('keeps running while its API server is down and reconciles what was created meanwhile', { timeout: 300_000 }, async () => {
    await createTenantSync(viaA, namespace, 'before');
    await waitReady(viaA, namespace, 'before');

    signalComponent(apiserverA as Component, 'SIGKILL');
    await waitFor('API server A to be gone', async () => !(await servesRequests(viaA)()), 30_000, 200);
    await createTenantSync(viaB, namespace, 'during');
    // Long enough for watches to break, the Lease renewal to fail past its deadline, and retries to back off.
    await sleep(20_000);
    const health = await fetch(`${operator?.url}/healthz`);
    expect(health.status).toBe(200);
    expect(operator?.output()).not.toMatch(/"level":"fatal"/);

    apiserverA = startApiserver('kube-apiserver-a-restarted', apiserverArgs);
    await waitFor('API server A to serve again', servesRequests(viaA), 120_000, 500);
    const during = await waitReady(viaA, namespace, 'during', 120_000);
    expect(during.status?.cronJobName).toBe('during');
    // Still the same process, never exited.
    const exitedYet = await Promise.race([operator?.exited.then(() => true), sleep(100).then(() => false)]);
    expect(exitedYet).toBe(false);
    expect(await operator?.metric('tenantsync_leader')).toBe(1);
  });
});
