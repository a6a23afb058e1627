// Helpers of the tests that run the operator as the chart's ServiceAccount: a token-only kubeconfig,
// kubectl apply of manifests, and the operator's log lines where the authorizer refused it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubectl, testKubeConfig } from '../controlplane/test-kube.js';
import type { OperatorProcess } from '../support/operator-process.js';

export const rbacKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
export const waitTimeout = '90s';

/** A kubeconfig that authenticates with a fresh token of the ServiceAccount only (no client certificate). */
export async function serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const token = await kubectl(['-n', namespace, 'create', 'token', serviceAccount, '--duration=2h']);
  if (token.code !== 0) throw new Error(`kubectl create token failed: ${token.stderr}`);
  const admin = testKubeConfig().getCurrentCluster()!;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: admin.server, 'certificate-authority-data': Buffer.from(admin.caData ?? '', admin.caData ? 'base64' : 'utf8').toString('base64') } }],
    users: [{ name: serviceAccount, user: { token: token.stdout.trim() } }],
    contexts: [{ name: 'sa', context: { cluster: 'test', user: serviceAccount } }],
    'current-context': 'sa',
  };
  const path = join(mkdtempSync(join(tmpdir(), 'tenantsync-sa-')), 'kubeconfig');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

export function tenantSyncYaml(namespace: string, name: string, secret: string): string {
  return stringify({
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name, namespace },
    spec: {
      interval: '1h',
      source: { type: 'freshdesk', domain: `${name}.freshdesk.com`, credentialsSecretRef: { name: secret, key: 'apiKey' } },
      sink: { type: 'http', url: 'https://ingest.example.com/v1/records' },
    },
  });
}

export async function apply(yaml: string): Promise<void> {
  const r = await kubectl(['apply', '--server-side', '--field-manager=rbac-operator-test', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

export async function createSecret(namespace: string, name: string): Promise<void> {
  const r = await kubectl(['-n', namespace, 'create', 'secret', 'generic', name, '--from-literal=apiKey=not-a-real-key']);
  if (r.code !== 0) throw new Error(`kubectl create secret failed: ${r.stderr}`);
}

/**
 * Log lines where the authorizer refused the operator ("is forbidden: User ... cannot <verb> ..."), which
 * least privilege must never cause. (403s for writes into a namespace being deleted say something else.)
 */
export function refusals(operator: Pick<OperatorProcess, 'output'>): string[] {
  return operator
    .output()
    .split('\n')
    .filter((l) => /forbidden: User \\?"[^"\\]+\\?" cannot /.test(l));
}

