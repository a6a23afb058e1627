// kube-controller-manager for one control plane: only the controllers tenant-sync relies on
// (CronJob → Job, garbage collection by owner references, namespaces, ServiceAccounts and tokens).
import { join } from 'node:path';
import { adminTls, type Pki } from './certs.js';
import { waitUntilReady } from './probe.js';
import { startComponent, type Component, type Lifetime } from './processes.js';

/**
 * cronjob/job: scheduling; garbage-collector: owner-reference cascades; namespace: namespace
 * deletion; serviceaccount: the `default` SA every namespace needs before pods can be created
 * (ServiceAccount admission); serviceaccount-token + root-ca-certificate-publisher: tokens and
 * kube-root-ca.crt as in a real cluster; ttl-after-finished: Jobs' ttlSecondsAfterFinished;
 * resourcequota: a ResourceQuota's status, without which quota admission refuses every pod of its namespace.
 */
export const defaultControllers = [
  'cronjob-controller',
  'job-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'ttl-after-finished-controller',
  'resourcequota-controller',
] as const;

export function controllerManagerArgs(options: {
  kubeconfigPath: string;
  securePort: number;
  pki: Pki;
  certDir: string;
  controllers: readonly string[];
}): string[] {
  const { pki, kubeconfigPath } = options;
  return [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    '--leader-elect=false',
    `--controllers=${options.controllers.join(',')}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${options.securePort}`,
    `--cert-dir=${options.certDir}`,
    // The apiserver's serving cert is valid for 127.0.0.1, so one CA verifies both components.
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.servingCaCert}`,
    '--profiling=false',
  ];
}

const controllerManagerReadyTimeoutMs = 120_000;

export async function startControllerManager(options: {
  binary: string;
  runDir: string;
  kubeconfigPath: string;
  securePort: number;
  pki: Pki;
  controllers: readonly string[];
  lifetime: Lifetime;
  onSpawn: (c: Component) => Promise<void>;
}): Promise<{ component: Component; healthz: string }> {
  const component = startComponent({
    name: 'kube-controller-manager',
    command: options.binary,
    args: controllerManagerArgs({ ...options, certDir: join(options.runDir, 'controller-manager-certs') }),
    logPath: join(options.runDir, 'logs', 'kube-controller-manager.log'),
    lifetime: options.lifetime,
  });
  await options.onSpawn(component);
  const healthz = `https://127.0.0.1:${options.securePort}/healthz`;
  await waitUntilReady({
    component,
    url: healthz,
    tls: await adminTls(options.pki),
    timeoutMs: controllerManagerReadyTimeoutMs,
    isReady: (answer) => answer.status === 200 && answer.body.trim() === 'ok',
  });
  return { component, healthz };
}
