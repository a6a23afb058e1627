// The admin kubeconfig of a control plane: CA and client certificate embedded, so the file alone
// is enough for kubectl, client-node, the operator and kube-controller-manager.
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { Pki } from './certs.js';

export const kubeconfigContextName = 'tenant-sync-test';

export function adminKubeconfig(options: { server: string; caPem: string; certPem: string; keyPem: string }): object {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: kubeconfigContextName, cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) } }],
    users: [{ name: 'tenant-sync-admin', user: { 'client-certificate-data': b64(options.certPem), 'client-key-data': b64(options.keyPem) } }],
    contexts: [{ name: kubeconfigContextName, context: { cluster: kubeconfigContextName, user: 'tenant-sync-admin', namespace: 'default' } }],
    'current-context': kubeconfigContextName,
    preferences: {},
  };
}

export async function writeAdminKubeconfig(path: string, server: string, pki: Pki): Promise<string> {
  const [caPem, certPem, keyPem] = await Promise.all([pki.servingCaCert, pki.adminCert, pki.adminKey].map((p) => readFile(p, 'utf8')));
  await writeFile(path, stringify(adminKubeconfig({ server, caPem: caPem ?? '', certPem: certPem ?? '', keyPem: keyPem ?? '' })), { mode: 0o600 });
  return path;
}
