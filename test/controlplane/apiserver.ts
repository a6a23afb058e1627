// kube-apiserver for one control plane: loopback only, RBAC, client-cert auth against our client CA,
// ServiceAccount tokens signed with our key (the ServiceAccount admission plugin stays on), and
// OwnerReferencesPermissionEnforcement on, as OpenShift and hardened clusters run it.

/**
 * Admission plugins enabled on top of the defaults. OwnerReferencesPermissionEnforcement refuses an owner
 * reference with blockOwnerDeletion unless the writer may update the owner's `finalizers` subresource,
 * and a change of an existing object's ownerReferences unless the writer may delete that object: the
 * chart's RBAC must grant both, and the RBAC tests (as the chart's ServiceAccount) show it does.
 */
export const extraAdmissionPlugins = ['OwnerReferencesPermissionEnforcement'] as const;
import { join } from 'node:path';
import { adminTls, type Pki } from './certs.js';
import { waitUntilReady } from './probe.js';
import { startComponent, type Component, type Lifetime } from './processes.js';

export const serviceClusterIpRange = '10.0.0.0/24';

export function apiserverArgs(options: { etcdUrl: string; securePort: number; pki: Pki; certDir: string }): string[] {
  const { pki } = options;
  return [
    `--etcd-servers=${options.etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The "kubernetes" Service's endpoints would point at loopback, which Endpoints validation rejects.
    '--endpoint-reconciler-type=none',
    `--secure-port=${options.securePort}`,
    `--cert-dir=${options.certDir}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.clientCaCert}`,
    '--authorization-mode=RBAC',
    `--enable-admission-plugins=${extraAdmissionPlugins.join(',')}`,
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--allow-privileged=true',
    `--service-account-issuer=https://127.0.0.1:${options.securePort}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--profiling=false',
  ];
}

const apiserverReadyTimeoutMs = 120_000;

export async function startApiserver(options: {
  binary: string;
  runDir: string;
  etcdUrl: string;
  securePort: number;
  pki: Pki;
  lifetime: Lifetime;
  onSpawn: (c: Component) => Promise<void>;
}): Promise<{ component: Component; server: string }> {
  const component = startComponent({
    name: 'kube-apiserver',
    command: options.binary,
    args: apiserverArgs({ ...options, certDir: join(options.runDir, 'apiserver-certs') }),
    logPath: join(options.runDir, 'logs', 'kube-apiserver.log'),
    lifetime: options.lifetime,
  });
  await options.onSpawn(component);
  const server = `https://127.0.0.1:${options.securePort}`;
  await waitUntilReady({
    component,
    url: `${server}/readyz`,
    tls: await adminTls(options.pki),
    timeoutMs: apiserverReadyTimeoutMs,
    isReady: (answer) => answer.status === 200 && answer.body.trim() === 'ok',
  });
  return { component, server };
}
