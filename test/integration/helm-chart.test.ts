// The Helm chart against the real API server: lint, server-side dry-run of the rendered manifests in
// both watch modes, install + uninstall (the CRD stays), values.schema.json rejections, and the operator
// and sync pods admitted under Pod Security "restricted".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { tenantSyncSchema } from '../../operator/api/tenantsync.js';
import { parseConfig } from '../../operator/config.js';
import { desiredCronJob } from '../../operator/reconcile/desired-cronjob.js';
import { effectiveSchedule } from '../../operator/reconcile/schedule.js';
import { createTestNamespace, kubectl, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import {
  chartDir,
  chartWithRenamedCrd,
  findDeployment,
  findObject,
  operatorArgs,
  renderChart,
  runHelm,
  valuesFile,
  type CrdDocument,
  type K8sObject,
  type RenamedCrdChart,
} from '../helm/helm.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[helm-chart.test] skipped: ${skipReason}`);

const namespacesValues = (namespaces: string[]) => ({ watch: { mode: 'namespaces', namespaces } });

/** Server-side dry-run apply; returns kubectl's result. */
function dryRunApply(yaml: string, namespace?: string) {
  const args = ['apply', '--server-side', '--dry-run=server', '--field-manager=helm-chart-test', '-f', '-'];
  if (namespace !== undefined) args.unshift('-n', namespace);
  return kubectl(args, { input: yaml });
}

/** `kubectl get` of one object: true when it exists, false on NotFound, throws otherwise. */
async function exists(o: K8sObject): Promise<boolean> {
  const args = ['get', `${o.kind}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''), o.metadata.name, '-o', 'name'];
  if (o.metadata.namespace !== undefined) args.unshift('-n', o.metadata.namespace);
  const r = await kubectl(args);
  if (r.code === 0) return true;
  if (/NotFound|not found/.test(r.stderr)) return false;
  throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/**
 * The CRD upgrade command (kubectl's arguments) that the chart README and NOTES.txt give, which must be
 * the same; the argument ending in crds/ is the folder.
 */
function documentedCrdApply(): string[] {
  const commandOf = (file: string, text: string) => {
    const found = /\bkubectl (apply [^\n#&|;]*crds\/)/.exec(text)?.[1];
    if (found === undefined) throw new Error(`${file} has no \`kubectl apply ... crds/\` command`);
    return found.trim().split(/\s+/);
  };
  const readme = commandOf('charts/tenant-sync/README.md', readFileSync(join(chartDir, 'README.md'), 'utf8'));
  const notes = commandOf('charts/tenant-sync/templates/NOTES.txt', readFileSync(join(chartDir, 'templates/NOTES.txt'), 'utf8'));
  const flags = (words: string[]) => words.filter((w) => !w.endsWith('crds/'));
  expect(flags(notes), 'NOTES.txt and the chart README give different CRD upgrade commands').toEqual(flags(readme));
  return readme;
}

describe.skipIf(skipReason !== undefined)('helm chart charts/tenant-sync', () => {
  let release: TestNamespace;
  let watchedA: TestNamespace;
  let watchedB: TestNamespace;

  beforeAll(async () => {
    [release, watchedA, watchedB] = await Promise.all([createTestNamespace('helm-rel'), createTestNamespace('helm-wa'), createTestNamespace('helm-wb')]);
  });
  afterAll(async () => {
    await Promise.all([release, watchedA, watchedB].map((ns) => ns?.cleanup()));
  });

  it('passes helm lint --strict in both watch modes', async () => {
    const cluster = await runHelm(['lint', '--strict', chartDir]);
    expect(cluster.stdout + cluster.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(cluster.code).toBe(0);
    const namespaced = await runHelm(['lint', '--strict', chartDir, '-f', valuesFile(namespacesValues(['team-a', 'team-b']))]);
    expect(namespaced.code, namespaced.stdout + namespaced.stderr).toBe(0);
  });

  it('renders cluster mode that the API server accepts (server-side dry-run, CRD included)', async () => {
    const { yaml, objects } = await renderChart({ release: 'dry-cluster', namespace: release.name, includeCrds: true });
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
    const result = await dryRunApply(yaml);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/serverside-applied \(server dry run\)/g)).toHaveLength(objects.length);
  });

  it('renders with every chart convention value set, accepted by the API server (server-side dry-run)', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    const values = {
      global: { imageRegistry: 'mirror.example:5000', imagePullSecrets: ['mirror-pull', { name: 'shared-pull' }], storageClass: 'any-umbrella-key' },
      enabled: true,
      nameOverride: 'tsync',
      fullnameOverride: 'conv',
      namespaceOverride: watchedA.name,
      commonLabels: { team: 'platform' },
      image: { repository: 'ghcr.io/tenant-sync/operator', digest },
      syncImage: { repository: 'ghcr.io/tenant-sync/sync-job', digest },
      imagePullSecrets: [{ name: 'own-pull' }],
      deploymentAnnotations: { 'reloader.stakater.com/auto': 'true' },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 3,
      podDisruptionBudget: { maxUnavailable: '50%' },
      serviceAccount: { labels: { 'azure.workload.identity/use': 'true' } },
      networkPolicy: {
        enabled: true,
        metrics: { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
        apiServer: { cidrs: ['10.0.0.10/32', 'fd00::10/128'], ports: [6443] },
        extraEgress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }], ports: [{ port: 3128, protocol: 'TCP' }] }],
      },
      grafana: { dashboard: { enabled: true, annotations: { grafana_folder: 'Operators' } } },
      extraObjects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ include "tenant-sync.fullname" . }}-extra', namespace: watchedA.name }, data: { release: '{{ .Release.Name }}' } },
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-token\n  namespace: ${watchedA.name}\nstringData:\n  token: x\n`,
      ],
    };
    const { yaml, objects } = await renderChart({ release: 'dry-conv', namespace: release.name, values });
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
    for (const o of objects.filter((x) => !x.kind.startsWith('Cluster'))) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(watchedA.name);
    const result = await dryRunApply(yaml);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/serverside-applied \(server dry run\)/g)).toHaveLength(objects.length);
  });

  it('renders namespaces mode with Roles only in the watched namespaces, accepted by the API server', async () => {
    const { yaml, objects } = await renderChart({ release: 'dry-ns', namespace: release.name, values: namespacesValues([watchedA.name, watchedB.name]) });
    expect(objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    const roles = objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace).sort();
    expect(roles).toEqual([release.name, watchedA.name, watchedB.name].sort()); // watched namespaces + the lease Role
    expect(operatorArgs(objects)).toContain(`--namespaces=${watchedA.name},${watchedB.name}`);
    // The client-side rate limit: documented defaults, and values → flags.
    expect(operatorArgs(objects)).toEqual(expect.arrayContaining(['--kube-api-qps=20', '--kube-api-burst=30']));
    const tuned = await renderChart({ release: 'dry-ns', namespace: release.name, values: { kubeApi: { qps: 50, burst: 100 } } });
    expect(operatorArgs(tuned.objects)).toEqual(expect.arrayContaining(['--kube-api-qps=50', '--kube-api-burst=100']));
    const result = await dryRunApply(yaml);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('helm install creates every object, helm upgrade follows the values, helm uninstall removes them', async () => {
    const name = `it-${release.name.slice(-5)}`;
    const install = await runHelm(['install', name, chartDir, '-n', release.name, '--set', 'syncImage.tag=9.9.9'], { kubeconfig: testKubeconfigPath() });
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('Create your first TenantSync');

    const manifest = await runHelm(['get', 'manifest', name, '-n', release.name], { kubeconfig: testKubeconfigPath() });
    const objects = parseAllDocuments(manifest.stdout).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const o of objects) expect(await exists(o), `${o.kind} ${o.metadata.name}`).toBe(true);

    const deployment = await kubectl(['-n', release.name, 'get', 'deployment', `${name}-tenant-sync`, '-o', 'jsonpath={.spec.template.spec.containers[0].args}']);
    expect(JSON.parse(deployment.stdout) as string[]).toContain('--sync-image=ghcr.io/tenant-sync/sync-job:9.9.9');

    // An upgrade follows the values: one replica needs no PodDisruptionBudget, and the new sync image is passed on.
    const upgrade = await runHelm(['upgrade', name, chartDir, '-n', release.name, '--reuse-values', '--set', 'replicas=1', '--set', 'syncImage.tag=9.9.10'], {
      kubeconfig: testKubeconfigPath(),
    });
    expect(upgrade.code, upgrade.stderr).toBe(0);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(await exists(pdb)).toBe(false);
    const upgraded = await kubectl(['-n', release.name, 'get', 'deployment', `${name}-tenant-sync`, '-o', 'jsonpath={.spec.template.spec.containers[0].args}']);
    expect(JSON.parse(upgraded.stdout) as string[]).toContain('--sync-image=ghcr.io/tenant-sync/sync-job:9.9.10');

    const uninstall = await runHelm(['uninstall', name, '-n', release.name, '--wait', '--timeout', '60s'], { kubeconfig: testKubeconfigPath() });
    expect(uninstall.code, uninstall.stderr).toBe(0);
    for (const o of objects) expect(await exists(o), `${o.kind} ${o.metadata.name} after uninstall`).toBe(false);
    expect((await runHelm(['status', name, '-n', release.name], { kubeconfig: testKubeconfigPath() })).code).not.toBe(0);
  });

  // The control plane already has tenantsyncs.tenantsync.io (the global setup), and Helm skips a CRD that
  // exists; so these install chart copies whose CRD is renamed to a test-only group, which Helm really creates.
  describe('the CRD in crds/, installed by Helm (chart copies with the CRD renamed to a test-only group)', () => {
    const crdNames: string[] = [];
    afterAll(async () => {
      for (const name of crdNames) await kubectl(['delete', 'crd', name, '--ignore-not-found', '--wait=false']);
    });

    async function getCrd(name: string): Promise<(CrdDocument & { metadata: { managedFields?: { manager: string }[] } }) | undefined> {
      const r = await kubectl(['get', 'crd', name, '-o', 'json', '--show-managed-fields']);
      if (r.code !== 0 && /NotFound|not found/.test(r.stderr)) return undefined;
      if (r.code !== 0) throw new Error(`kubectl get crd ${name}: ${r.stderr}`);
      return JSON.parse(r.stdout) as CrdDocument & { metadata: { managedFields?: { manager: string }[] } };
    }
    /** Who wrote the CRD (the API server's own status updates left out). */
    const writers = (crd: Awaited<ReturnType<typeof getCrd>> & object) =>
      (crd.metadata.managedFields ?? []).map((f) => f.manager).filter((m) => m !== 'kube-apiserver');
    const specProperties = (crd: CrdDocument) => crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!;
    const tenant = (chart: RenamedCrdChart, namespace: string, spec: Record<string, unknown> = {}) =>
      stringify({
        apiVersion: `${chart.crd.spec.group}/v1alpha1`,
        kind: chart.names.kind,
        metadata: { name: 'acme', namespace },
        spec: { source: { type: 'freshdesk', domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk' } }, sink: { type: 'http', url: 'https://ingest.example.com/v1' }, ...spec },
      });
    const helm = (args: string[]) => runHelm(args, { kubeconfig: testKubeconfigPath() });

    it('helm install creates the CRD; helm uninstall leaves it and its TenantSyncs', async () => {
      const chart = chartWithRenamedCrd('keeptest.tenantsync.io');
      crdNames.push(chart.crdName);
      expect(await getCrd(chart.crdName)).toBeUndefined();
      const name = `crd-${release.name.slice(-5)}`;
      const install = await helm(['install', name, chart.dir, '-n', release.name, '--set', 'replicas=1']);
      expect(install.code, install.stderr).toBe(0);
      const crd = await getCrd(chart.crdName);
      expect(crd, 'helm install did not create the CRD').toBeDefined();
      expect(writers(crd!)).toEqual(['helm']);
      const created = await kubectl(['apply', '--server-side', '-f', '-'], { input: tenant(chart, release.name) });
      expect(created.code, created.stderr).toBe(0);

      const uninstall = await helm(['uninstall', name, '-n', release.name, '--wait', '--timeout', '60s']);
      expect(uninstall.code, uninstall.stderr).toBe(0);
      expect((await helm(['status', name, '-n', release.name])).code).not.toBe(0);
      expect((await getCrd(chart.crdName))?.metadata.name).toBe(chart.crdName);
      const kept = await kubectl(['-n', release.name, 'get', chart.crdName, 'acme', '-o', 'name']);
      expect(kept.stdout.trim(), kept.stderr).toBe(`${chart.names.singular}.keeptest.tenantsync.io/acme`);
    });

    it('the documented upgrade path (the chart README: `kubectl apply --server-side --force-conflicts -f <new chart>/crds/`, then helm upgrade) upgrades the CRD Helm installed', async () => {
      const group = 'upgradetest.tenantsync.io';
      // The older version: no spec.suspend yet, and tenantId limited to 63 characters.
      const older = chartWithRenamedCrd(group, (crd) => {
        const spec = specProperties(crd);
        delete spec.suspend;
        spec.tenantId!.maxLength = 63;
        spec.tenantId!.description = 'Tenant id written on every delivered record.';
      });
      const newer = chartWithRenamedCrd(group);
      crdNames.push(newer.crdName);
      const name = `up-${release.name.slice(-5)}`;
      const install = await helm(['install', name, older.dir, '-n', release.name, '--set', 'replicas=1']);
      expect(install.code, install.stderr).toBe(0);
      const before = await getCrd(newer.crdName);
      expect(writers(before!)).toEqual(['helm']);
      expect(Object.keys(specProperties(before!))).not.toContain('suspend');

      // Exactly the command of the chart README and NOTES.txt, run against the newer chart's crds/.
      const documented = documentedCrdApply();
      const args = documented.map((w) => (w.endsWith('crds/') ? `${newer.crdsDir}/` : w));
      expect(args).toContain(`${newer.crdsDir}/`);
      // Why the documented command forces: without it, the fields Helm wrote are a conflict.
      const unforced = await kubectl(args.filter((w) => w !== '--force-conflicts'));
      expect(unforced.code).not.toBe(0);
      expect(unforced.stderr).toMatch(/Apply failed with \d+ conflicts?: conflict with "helm"/);
      const apply = await kubectl(args);
      expect(apply.stderr).toBe('');
      expect(apply.code).toBe(0);
      expect(apply.stdout).toContain(`customresourcedefinition.apiextensions.k8s.io/${newer.crdName} serverside-applied`);
      const after = await getCrd(newer.crdName);
      const wanted = specProperties(newer.crd);
      expect(specProperties(after!).suspend).toEqual(wanted.suspend);
      expect(specProperties(after!).tenantId).toEqual(wanted.tenantId);

      const upgrade = await helm(['upgrade', name, newer.dir, '-n', release.name, '--reuse-values']);
      expect(upgrade.code, upgrade.stderr).toBe(0);
      // The new field is served: a TenantSync gets its default and keeps a tenantId the old CRD refused.
      const long = 'x'.repeat(100);
      const created = await kubectl(['apply', '--server-side', '-f', '-'], { input: tenant(newer, release.name, { tenantId: long }) });
      expect(created.code, created.stderr).toBe(0);
      const stored = await kubectl(['-n', release.name, 'get', newer.crdName, 'acme', '-o', 'jsonpath={.spec.suspend} {.spec.tenantId}']);
      expect(stored.stdout).toBe(`false ${long}`);
      const uninstall = await helm(['uninstall', name, '-n', release.name, '--wait', '--timeout', '60s']);
      expect(uninstall.code, uninstall.stderr).toBe(0);
    });
  });

  it("NOTES' first TenantSync applies in the first watched namespace", async () => {
    const install = await runHelm(['install', 'notes', chartDir, '-n', release.name, '--dry-run=client', '-f', valuesFile(namespacesValues([watchedA.name]))]);
    expect(install.code, install.stderr).toBe(0);
    const notes = install.stdout.slice(install.stdout.indexOf('NOTES:'));
    const block = /cat <<'YAML' \| kubectl apply -f -\n([\s\S]*?)\n\s*YAML\n/.exec(notes)?.[1];
    expect(block, notes).toBeDefined();
    const indent = /^\s*/.exec(block!)![0].length;
    const yaml = block!
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n');
    expect(yaml).toContain(`namespace: ${watchedA.name}`);
    const result = await dryRunApply(yaml);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('tenantsync.tenantsync.io/acme serverside-applied (server dry run)');
  });

  describe('values.schema.json and the chart checks reject bad values with messages that name the value', () => {
    const cases: [string, string[], RegExp][] = [
      ['replicas -1', ['--set', 'replicas=-1'], /at '\/replicas': minimum: got -1, want 0/],
      ['an unknown watch mode', ['--set', 'watch.mode=everywhere'], /at '\/watch\/mode': value must be one of 'cluster', 'namespaces'/],
      ['an image without repository', ['--set', 'image.repository=null'], /at '\/image': missing property 'repository'/],
      ['a sync image without repository', ['--set', 'syncImage.repository=null'], /at '\/syncImage': missing property 'repository'/],
      ['namespaces mode without namespaces', ['--set', 'watch.mode=namespaces'], /at '\/watch\/namespaces': minItems: got 0, want 1/],
      ['a misspelt top-level key', ['--set', 'replicaCount=3'], /additional properties 'replicaCount' not allowed/],
      ['two replicas without leader election', ['--set', 'leaderElection.enabled=false'], /replicas is 2 but leaderElection.enabled is false/],
      ['a zero API rate limit', ['--set', 'kubeApi.qps=0'], /at '\/kubeApi\/qps'/],
    ];
    for (const [what, args, message] of cases) {
      it(`rejects ${what}`, async () => {
        const result = await runHelm(['template', 'bad', chartDir, ...args]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(message);
        expect(result.stdout).toBe('');
      });
    }
  });

  describe('Pod Security "restricted"', () => {
    let restricted: TestNamespace;
    beforeAll(async () => {
      restricted = await createTestNamespace('helm-psa');
      const label = await kubectl(['label', 'namespace', restricted.name, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
      expect(label.code, label.stderr).toBe(0);
    });
    afterAll(() => restricted?.cleanup());

    /** The pod template of the chart's Deployment as a Pod in the restricted namespace (with its ServiceAccount created). */
    async function operatorPod(): Promise<{ pod: K8sObject; syncImage: string }> {
      const { objects } = await renderChart({ release: 'psa', namespace: restricted.name });
      const sa = findObject(objects, 'ServiceAccount')!;
      const created = await kubectl(['apply', '--server-side', '-f', '-'], { input: stringify(sa) });
      expect(created.code, created.stderr).toBe(0);
      const template = findDeployment(objects).spec!.template;
      const syncImage = operatorArgs(objects).find((a) => a.startsWith('--sync-image='))!.slice('--sync-image='.length);
      return { pod: { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'operator', namespace: restricted.name }, spec: template.spec }, syncImage };
    }

    it('admits the operator pod', async () => {
      const { pod } = await operatorPod();
      const result = await dryRunApply(stringify(pod));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('admits the sync pod the operator builds from the chart-provided sync image', async () => {
      const { syncImage } = await operatorPod();
      const tenant = tenantSyncSchema.parse({
        apiVersion: 'tenantsync.io/v1alpha1',
        kind: 'TenantSync',
        metadata: { name: 'acme', namespace: restricted.name, uid: '00000000-0000-4000-8000-000000000001' },
        spec: {
          interval: '1h',
          source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk' } },
          sink: { url: 'https://ingest.example.com/v1', authSecretRef: { name: 'acme-sink' } },
        },
      });
      const cronJob = desiredCronJob({
        owner: { name: 'acme', namespace: restricted.name, uid: tenant.metadata.uid! },
        spec: tenant.spec,
        schedule: effectiveSchedule(tenant.spec, restricted.name, 'acme'),
        defaultSyncImage: syncImage,
        secretsMissing: false,
      });
      const template = cronJob.spec!.jobTemplate.spec!.template;
      expect(template.spec!.containers[0]!.image).toBe(syncImage);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'sync', namespace: restricted.name }, spec: template.spec };
      const result = await dryRunApply(stringify(pod));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('admits the CronJob and sync pod the operator builds from every syncPod value the chart passes (issue 14 §1)', async () => {
      // What the pod names must exist for its admission: the ServiceAccount and the PriorityClass.
      const priorityClass = `${restricted.name}-sync`;
      for (const object of [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tenant-sync-job', namespace: restricted.name } },
        { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: priorityClass }, value: 100 },
      ]) {
        const created = await kubectl(['apply', '--server-side', '-f', '-'], { input: stringify(object) });
        expect(created.code, created.stderr).toBe(0);
      }
      try {
        const syncPod = {
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          imagePullPolicy: 'Always',
          imagePullSecrets: ['registry-mirror'],
          podLabels: { team: 'platform' },
          podAnnotations: { 'sidecar.istio.io/inject': 'false' },
          priorityClassName: priorityClass,
          affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] } }] } },
          serviceAccountName: 'tenant-sync-job',
          automountServiceAccountToken: true,
          proxy: { httpsProxy: 'http://proxy.example:3128', httpProxy: 'http://proxy.example:3128', noProxy: '.svc,.cluster.local' },
          env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' }],
          envFrom: [{ configMapRef: { name: 'sync-common', optional: true } }],
          volumes: [{ name: 'extra-ca', configMap: { name: 'corp-ca-bundle' } }],
          volumeMounts: [{ name: 'extra-ca', mountPath: '/etc/ssl/extra', readOnly: true }],
        };
        const { objects } = await renderChart({ release: 'psa', namespace: restricted.name, values: { syncPod } });
        const config = parseConfig(operatorArgs(objects), { POD_NAMESPACE: restricted.name }, () => undefined);
        const tenant = tenantSyncSchema.parse({
          apiVersion: 'tenantsync.io/v1alpha1',
          kind: 'TenantSync',
          metadata: { name: 'acme', namespace: restricted.name, uid: '00000000-0000-4000-8000-000000000002' },
          spec: { source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk' } }, sink: { url: 'https://ingest.example.com/v1' } },
        });
        const cronJob = desiredCronJob({
          owner: { name: 'acme', namespace: restricted.name, uid: tenant.metadata.uid! },
          spec: tenant.spec,
          schedule: effectiveSchedule(tenant.spec, restricted.name, 'acme'),
          defaultSyncImage: config.syncImage,
          syncPodDefaults: config.syncPod,
          secretsMissing: false,
        });
        const template = cronJob.spec!.jobTemplate.spec!.template;
        expect(template.spec).toMatchObject({ serviceAccountName: 'tenant-sync-job', priorityClassName: priorityClass, imagePullSecrets: [{ name: 'registry-mirror' }] });
        const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'sync-all-values', namespace: restricted.name }, spec: template.spec };
        const withoutOwner = { ...cronJob, metadata: { ...cronJob.metadata, ownerReferences: undefined } };
        for (const object of [withoutOwner, pod]) {
          const result = await dryRunApply(stringify(object));
          expect(result.stderr, object.kind).toBe('');
          expect(result.code, object.kind).toBe(0);
        }
      } finally {
        await kubectl(['delete', 'priorityclass', priorityClass, '--ignore-not-found']);
      }
    });

    it('is really enforced there: the operator pod without its container securityContext is refused', async () => {
      const { pod } = await operatorPod();
      const spec = pod.spec as { containers: { securityContext?: unknown }[] };
      delete spec.containers[0]!.securityContext;
      const result = await dryRunApply(stringify(pod));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    });
  });
});
