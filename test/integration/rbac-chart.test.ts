// The chart's RBAC against the real authorizer: the operator's ServiceAccount can do exactly what the
// operator needs (kubectl auth can-i --as=<sa>) and no more; in namespaces mode it cannot read Secrets or
// TenantSyncs of a namespace it does not watch, and the lease rights stay in the release namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';
import { findObject, operatorArgs, renderChart, type K8sObject } from '../helm/helm.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';
import { rbacKinds } from './rbac-helpers.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[rbac-chart.test] skipped: ${skipReason}`);

/** [verb, resource, subresource?] */
type Access = [string, string, string?];

/** What the operator does in every namespace it watches. */
const needed: Access[] = [
  ...['get', 'list', 'watch', 'patch'].map((v): Access => [v, 'tenantsyncs.tenantsync.io']),
  ['patch', 'tenantsyncs.tenantsync.io', 'status'],
  ['update', 'tenantsyncs.tenantsync.io', 'status'],
  ...['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'].flatMap((v): Access[] => [
    [v, 'cronjobs.batch'],
    [v, 'jobs.batch'],
  ]),
  ...['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'].map((v): Access => [v, 'configmaps']),
  // OwnerReferencesPermissionEnforcement: blockOwnerDeletion on children of TenantSyncs and of CronJobs (run-now Jobs).
  ['update', 'tenantsyncs.tenantsync.io', 'finalizers'],
  ['update', 'cronjobs.batch', 'finalizers'],
  ['get', 'secrets'],
  // patch: the result finalizer on run pods is removed once their result is applied.
  ...['get', 'list', 'watch', 'patch'].map((v): Access => [v, 'pods']),
  ['create', 'events'],
  ['patch', 'events'],
  ['create', 'events.events.k8s.io'],
  ['patch', 'events.events.k8s.io'],
];

/** What it must never do, even in a watched namespace. */
const forbidden: Access[] = [
  ['list', 'secrets'],
  ['watch', 'secrets'],
  ['create', 'secrets'],
  ['create', 'tenantsyncs.tenantsync.io'],
  ['update', 'tenantsyncs.tenantsync.io'],
  ['delete', 'tenantsyncs.tenantsync.io'],
  // The operator sets no blockOwnerDeletion on anything a Job owns.
  ['update', 'jobs.batch', 'finalizers'],
  ['create', 'pods'],
  ['delete', 'pods'],
  ['create', 'pods', 'exec'],
  ['create', 'serviceaccounts', 'token'],
  ['create', 'roles.rbac.authorization.k8s.io'],
  ['create', 'leases.coordination.k8s.io'],
];

const describeAccess = ([verb, resource, sub]: Access) => `${verb} ${resource}${sub ? `/${sub}` : ''}`;

/** `kubectl auth can-i` as the ServiceAccount: true for yes, false for no, throws on anything else. */
async function canI(sa: string, access: Access, scope: { namespace?: string; allNamespaces?: boolean; name?: string }): Promise<boolean> {
  const [verb, resource, sub] = access;
  const args = ['auth', 'can-i', `--as=${sa}`, verb, scope.name ? `${resource}/${scope.name}` : resource];
  if (sub) args.push(`--subresource=${sub}`);
  if (scope.allNamespaces) args.push('--all-namespaces');
  else args.push('-n', scope.namespace ?? 'default');
  const r = await kubectl(args);
  const answer = r.stdout.trim();
  if (answer === 'yes' && r.code === 0) return true;
  if (answer === 'no' && r.code === 1) return false;
  throw new Error(`kubectl ${args.join(' ')} → ${r.code} ${r.stdout} ${r.stderr}`);
}

/** For each access, whether it is allowed: { 'get secrets': true, ... } so a failure names every wrong answer. */
async function answers(sa: string, accesses: readonly Access[], scope: Parameters<typeof canI>[2]): Promise<Record<string, boolean>> {
  const entries = await Promise.all(accesses.map(async (a) => [describeAccess(a), await canI(sa, a, scope)] as const));
  return Object.fromEntries(entries);
}
const all = (accesses: readonly Access[], value: boolean) => Object.fromEntries(accesses.map((a) => [describeAccess(a), value]));

async function applyObjects(objects: readonly K8sObject[]): Promise<void> {
  const result = await kubectl(['apply', '--server-side', '--field-manager=rbac-chart-test', '-f', '-'], {
    input: objects.map((o) => stringify(o)).join('---\n'),
  });
  if (result.code !== 0) throw new Error(`applying the chart's RBAC failed: ${result.stderr}`);
}


/** A TenantSync and a CronJob (made by the admin) to own children, and a Job manifest for the CronJob. */
async function createOwners(namespace: string) {
  const tenantSync = {
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name: 'owner', namespace },
    spec: { source: { domain: 'owner.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' } }, sink: { url: 'https://sink.example.com' } },
  };
  const podSpec = { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] };
  const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'owner', namespace }, spec: { schedule: '0 0 * * *', suspend: true, jobTemplate: { spec: { template: { spec: podSpec } } } } };
  const created = await kubectl(['create', '-o', 'json', '-f', '-'], { input: [tenantSync, cronJob].map((o) => JSON.stringify(o)).join('\n') });
  if (created.code !== 0) throw new Error(`creating the owners failed: ${created.stderr}`);
  const uid = async (kind: string) => (await kubectl(['-n', namespace, 'get', kind, 'owner', '-o', 'jsonpath={.metadata.uid}'])).stdout;
  const ref = (apiVersion: string, kind: string, uid: string) => ({ apiVersion, kind, name: 'owner', uid, controller: true, blockOwnerDeletion: true });
  return {
    tenantSyncRef: ref('tenantsync.io/v1alpha1', 'TenantSync', await uid('tenantsyncs.tenantsync.io')),
    cronJobRef: ref('batch/v1', 'CronJob', await uid('cronjobs.batch')),
    job: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'owner-manual', namespace }, spec: { suspend: true, template: { spec: podSpec } } },
  };
}

describe.skipIf(skipReason !== undefined)('chart RBAC', () => {
  let release: TestNamespace;
  let watched: TestNamespace;
  let watched2: TestNamespace;
  let unwatched: TestNamespace;
  const clusterObjects: K8sObject[] = [];

  beforeAll(async () => {
    const namespaces = await Promise.all(['rbac-rel', 'rbac-w1', 'rbac-w2', 'rbac-un'].map((p) => createTestNamespace(p)));
    [release, watched, watched2, unwatched] = namespaces as [TestNamespace, TestNamespace, TestNamespace, TestNamespace];
  });
  afterAll(async () => {
    for (const o of clusterObjects) await kubectl(['delete', o.kind, o.metadata.name, '--ignore-not-found']);
    await Promise.all([release, watched, watched2, unwatched].map((ns) => ns?.cleanup()));
  });

  describe('namespaces mode', () => {
    let sa: string;
    const limitedSa = () => `system:serviceaccount:${watched.name}:limited`;
    let lease: string;

    beforeAll(async () => {
      const { objects } = await renderChart({
        release: 'nsmode',
        namespace: release.name,
        values: { watch: { mode: 'namespaces', namespaces: [watched.name, watched2.name] } },
      });
      const rbac = objects.filter((o) => rbacKinds.has(o.kind));
      expect(rbac.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
      await applyObjects(rbac);
      const account = findObject(objects, 'ServiceAccount')!;
      sa = `system:serviceaccount:${release.name}:${account.metadata.name}`;
      lease = operatorArgs(objects).find((a) => a.startsWith('--lease-name='))?.slice('--lease-name='.length) ?? '';
      expect(lease).not.toBe('');
      // A second identity that may create ConfigMaps but nothing else: shows the admission plugin is on.
      const limited = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'configmaps-only', namespace: watched.name }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }] };
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'configmaps-only', namespace: watched.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps-only' },
        subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: watched.name }],
      };
      await applyObjects([limited, binding] as unknown as K8sObject[]);
    });

    it('can do everything the operator needs in each watched namespace', async () => {
      for (const ns of [watched, watched2]) {
        expect(await answers(sa, needed, { namespace: ns.name })).toEqual(all(needed, true));
      }
    });

    it('cannot do more than that in a watched namespace', async () => {
      expect(await answers(sa, forbidden, { namespace: watched.name })).toEqual(all(forbidden, false));
    });

    it('cannot read Secrets or TenantSyncs, nor touch anything, in a namespace it does not watch', async () => {
      expect(await answers(sa, needed, { namespace: unwatched.name })).toEqual(all(needed, false));
      // ...while the same questions about a watched namespace get a yes (the other direction).
      const probe: Access[] = [['get', 'secrets'], ['get', 'tenantsyncs.tenantsync.io'], ['list', 'tenantsyncs.tenantsync.io']];
      expect(await answers(sa, probe, { namespace: watched.name })).toEqual(all(probe, true));
      expect(await answers(sa, probe, { namespace: unwatched.name })).toEqual(all(probe, false));
    });

    it('has nothing cluster-wide: no list/watch across all namespaces', async () => {
      const clusterWide: Access[] = [['list', 'tenantsyncs.tenantsync.io'], ['watch', 'cronjobs.batch'], ['get', 'secrets'], ['list', 'namespaces']];
      expect(await answers(sa, clusterWide, { allNamespaces: true })).toEqual(all(clusterWide, false));
    });

    it('may create children that block their owner\'s deletion, and adopt an orphan, with OwnerReferencesPermissionEnforcement on', async () => {
      const owner = await createOwners(watched.name);
      const child = (name: string, ref: object) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: watched.name, ownerReferences: [ref] } });
      const asSa = (a: string) => [...a.split(' '), `--as=${sa}`];
      // The plugin is on: an identity that may create ConfigMaps but not update the owner's finalizers is refused.
      const refused = await kubectl(['create', '-f', '-', `--as=${limitedSa()}`], { input: JSON.stringify(child('refused', owner.tenantSyncRef)) });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/cannot set blockOwnerDeletion/);
      // The chart's ServiceAccount: config/state ConfigMaps owned by a TenantSync, a run-now Job owned by a CronJob.
      const configMap = await kubectl(asSa('create -f -'), { input: JSON.stringify(child('owned', owner.tenantSyncRef)) });
      expect(configMap.code, configMap.stderr).toBe(0);
      const job = await kubectl(asSa('create -f -'), { input: JSON.stringify({ ...owner.job, metadata: { ...owner.job.metadata, ownerReferences: [owner.cronJobRef] } }) });
      expect(job.code, job.stderr).toBe(0);
      // Adopting an orphan (its own state ConfigMap left by an earlier TenantSync) changes ownerReferences of an existing object.
      const orphan = await kubectl(['create', 'configmap', 'orphan', '-n', watched.name]);
      expect(orphan.code, orphan.stderr).toBe(0);
      const adopted = await kubectl([...asSa(`patch configmap orphan -n ${watched.name} --type=merge`), '-p', JSON.stringify({ metadata: { ownerReferences: [owner.tenantSyncRef] } })]);
      expect(adopted.code, adopted.stderr).toBe(0);
    });

    it('may create its Lease and read/renew only that Lease, only in the release namespace', async () => {
      const leases = 'leases.coordination.k8s.io';
      expect(await canI(sa, ['create', leases], { namespace: release.name })).toBe(true);
      expect(await canI(sa, ['get', leases], { namespace: release.name, name: lease })).toBe(true);
      expect(await canI(sa, ['update', leases], { namespace: release.name, name: lease })).toBe(true);
      expect(await canI(sa, ['update', leases], { namespace: release.name, name: 'kube-scheduler' })).toBe(false);
      expect(await canI(sa, ['delete', leases], { namespace: release.name, name: lease })).toBe(false);
      expect(await canI(sa, ['create', leases], { namespace: watched.name })).toBe(false);
    });
  });

  describe('cluster mode', () => {
    let sa: string;

    beforeAll(async () => {
      // A release name of its own: ClusterRole names are cluster-wide.
      const { objects } = await renderChart({ release: `cl-${release.name.slice(-5)}`, namespace: release.name });
      const rbac = objects.filter((o) => rbacKinds.has(o.kind));
      clusterObjects.push(...rbac.filter((o) => o.kind.startsWith('Cluster')));
      expect(clusterObjects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      await applyObjects(rbac);
      sa = `system:serviceaccount:${release.name}:${findObject(objects, 'ServiceAccount')!.metadata.name}`;
    });

    it('can do everything the operator needs in any namespace and across all of them', async () => {
      expect(await answers(sa, needed, { namespace: unwatched.name })).toEqual(all(needed, true));
      const watches: Access[] = [['list', 'tenantsyncs.tenantsync.io'], ['watch', 'tenantsyncs.tenantsync.io'], ['watch', 'cronjobs.batch'], ['watch', 'jobs.batch'], ['watch', 'configmaps'], ['watch', 'pods']];
      expect(await answers(sa, watches, { allNamespaces: true })).toEqual(all(watches, true));
    });

    it('still cannot list or watch Secrets, nor do anything else it does not need', async () => {
      expect(await answers(sa, forbidden, { namespace: unwatched.name })).toEqual(all(forbidden, false));
      expect(await canI(sa, ['list', 'secrets'], { allNamespaces: true })).toBe(false);
    });
  });
});
