import { describe, expect, it } from 'vitest';
import { desiredCronJob } from '../../../operator/reconcile/desired-cronjob.js';
import { effectiveSchedule } from '../../../operator/reconcile/schedule.js';
import { ownerOf, tenantSync } from './fixtures.js';
import type { TenantSyncSpecInput } from '../../../operator/api/tenantsync.js';
import { canonicalJson } from '../../../sync-job/canonical-json.js';
import { builtinSyncPodDefaults, type SyncPodDefaults } from '../../../operator/reconcile/sync-pod.js';

function build(spec: Partial<TenantSyncSpecInput> = {}, secretsMissing = false, name = 'acme', syncPodDefaults?: SyncPodDefaults) {
  const ts = tenantSync(spec, { name });
  return desiredCronJob({
    owner: ownerOf(ts),
    spec: ts.spec,
    schedule: effectiveSchedule(ts.spec, 'tenants', name),
    defaultSyncImage: 'ghcr.io/example/tenant-sync:1.0.0',
    secretsMissing,
    ...(syncPodDefaults ? { syncPodDefaults } : {}),
  });
}

/** The sync pod's spec of a CronJob built with these operator defaults (--sync-* flags). */
const podWith = (defaults: Partial<SyncPodDefaults>, spec: Partial<TenantSyncSpecInput> = {}) =>
  build(spec, false, 'acme', { ...builtinSyncPodDefaults, ...defaults }).spec!.jobTemplate.spec!.template.spec!;

describe('desiredCronJob', () => {
  const cj = build();
  const jobSpec = cj.spec?.jobTemplate.spec;
  const pod = jobSpec?.template.spec;
  const container = pod?.containers[0];

  it('is owned by the TenantSync as its controller, blocking owner deletion', () => {
    expect(cj.metadata?.ownerReferences).toEqual([
      { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid: '6f1c7a52-5a0e-4c39-9d0c-3f1f2b9e8e11', controller: true, blockOwnerDeletion: true },
    ]);
    expect(cj.metadata).toMatchObject({ name: 'acme', namespace: 'tenants' });
  });

  it('carries the recommended labels and the tenant on CronJob, Job and Pod', () => {
    for (const labels of [cj.metadata?.labels, cj.spec?.jobTemplate.metadata?.labels, jobSpec?.template.metadata?.labels]) {
      expect(labels).toMatchObject({
        'app.kubernetes.io/name': 'tenant-sync',
        'app.kubernetes.io/managed-by': 'tenantsync-operator',
        'tenantsync.io/name': 'acme',
      });
      // Argo CD's label tracking would read it as "part of the Application named acme".
      expect(labels).not.toHaveProperty(['app.kubernetes.io/instance']);
    }
    expect(jobSpec?.template.metadata?.labels?.['tenantsync.io/trigger']).toBe('scheduled');
    expect(jobSpec?.template.metadata?.annotations?.['tenantsync.io/name']).toBe('acme');
  });

  it('schedules by the effective cron in UTC, one run at a time', () => {
    expect(cj.spec).toMatchObject({
      schedule: effectiveSchedule({}, 'tenants', 'acme').cron,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
  });

  it.each([
    [{}, false, false],
    [{ suspend: true }, false, true],
    [{}, true, true],
    [{ suspend: true }, true, true],
  ])('suspend for spec %o with secrets missing=%s is %s', (spec, missing, suspended) => {
    expect(build(spec, missing).spec?.suspend).toBe(suspended);
  });

  it('fails the Job at once on exit code 2 (configuration) and 3 (stopped at its deadline) and ignores disruptions', () => {
    expect(jobSpec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 2 });
    expect(jobSpec?.podFailurePolicy?.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'sync', operator: 'In', values: [2, 3] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  });

  it('creates every Job suspended: the operator lets one run at a time start (the run gate)', () => {
    expect(jobSpec?.suspend).toBe(true);
  });

  it('tells the job its timeout, so it stops itself before the Job controller deletes its pod', () => {
    const custom = build({ job: { timeout: '90m' } });
    const env = custom.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env ?? [];
    expect(custom.spec?.jobTemplate.spec?.activeDeadlineSeconds).toBe(5400);
    expect(env.find((e) => e.name === 'TENANTSYNC_DEADLINE_SECONDS')?.value).toBe('5400');
  });

  it('runs a restricted pod with no service account token', () => {
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'FallbackToLogsOnError' });
  });

  it('passes files by path and secrets only by reference', () => {
    expect(container?.env).toEqual([
      { name: 'TENANTSYNC_CONFIG', value: '/etc/tenantsync/config/config.json' },
      { name: 'TENANTSYNC_STATE', value: '/var/lib/tenantsync/state/state.json' },
      { name: 'TENANTSYNC_RESULT', value: '/dev/termination-log' },
      { name: 'TENANTSYNC_DEADLINE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['tenantsync.io/deadline']" } } },
      { name: 'TENANTSYNC_DEADLINE_SECONDS', value: '3600' },
      { name: 'TENANTSYNC_SOURCE_API_KEY', valueFrom: { secretKeyRef: { name: 'acme-freshdesk', key: 'apiKey' } } },
    ]);
    const withSink = build({ sink: { url: 'https://sink.example.com', authSecretRef: { name: 'sink', key: 'bearer' } } });
    expect(withSink.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env?.at(-1)).toEqual({
      name: 'TENANTSYNC_SINK_TOKEN',
      valueFrom: { secretKeyRef: { name: 'sink', key: 'bearer' } },
    });
  });

  it('mounts config and state read-only and a writable /tmp', () => {
    expect(container?.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/tenantsync/config', readOnly: true },
      { name: 'state', mountPath: '/var/lib/tenantsync/state', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(pod?.volumes).toEqual([
      { name: 'config', configMap: { name: 'acme-config' } },
      { name: 'state', configMap: { name: 'acme-state' } },
      { name: 'tmp', emptyDir: {} },
    ]);
  });

  it('uses the operator image unless the spec names one, and passes job settings through', () => {
    expect(container?.image).toBe('ghcr.io/example/tenant-sync:1.0.0');
    const custom = build({
      job: {
        image: 'registry.local/sync:2',
        timeout: '30m',
        backoffLimit: 0,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 5,
        resources: { limits: { memory: '256Mi' } },
        nodeSelector: { pool: 'batch' },
        tolerations: [{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    const customPod = custom.spec?.jobTemplate.spec?.template.spec;
    expect(customPod?.containers[0]).toMatchObject({ image: 'registry.local/sync:2', resources: { limits: { memory: '256Mi' } } });
    expect(customPod).toMatchObject({ nodeSelector: { pool: 'batch' }, tolerations: [{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(custom.spec).toMatchObject({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 5 });
    expect(custom.spec?.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 1800, backoffLimit: 0 });
  });

  describe('resources', () => {
    it('requests and limits cpu and memory by default, so a ResourceQuota that requires them admits the pod', () => {
      expect(container?.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
      expect(build({ job: { resources: {} } }).spec?.jobTemplate.spec?.template.spec?.containers[0]?.resources).toEqual(container?.resources);
      expect(build({ job: { resources: { requests: {}, limits: {} } } }).spec?.jobTemplate.spec?.template.spec?.containers[0]?.resources).toEqual(container?.resources);
    });

    it("uses the operator's --sync-resources when the spec sets none; {} leaves the pod BestEffort", () => {
      expect(podWith({ resources: { requests: { cpu: '50m' } } }).containers[0]?.resources).toEqual({ requests: { cpu: '50m' } });
      expect(podWith({ resources: {} }).containers[0]?.resources).toEqual({});
    });

    it("replaces the defaults as a whole with the spec's own (half of each could put a request above its limit)", () => {
      const own = podWith({ resources: { requests: { memory: '1Gi' }, limits: { memory: '2Gi' } } }, { job: { resources: { limits: { memory: '128Mi' } } } });
      expect(own.containers[0]?.resources).toEqual({ limits: { memory: '128Mi' } });
    });
  });

  describe('image pull', () => {
    it("leaves pull policy and pull secrets to Kubernetes unless the operator or the spec set them", () => {
      expect(container).not.toHaveProperty('imagePullPolicy');
      expect(pod).not.toHaveProperty('imagePullSecrets');
    });

    it("takes the operator's --sync-image-pull-policy and --sync-image-pull-secrets", () => {
      const withDefaults = podWith({ imagePullPolicy: 'Always', imagePullSecrets: ['registry-a', 'registry-b'] });
      expect(withDefaults.containers[0]?.imagePullPolicy).toBe('Always');
      expect(withDefaults.imagePullSecrets).toEqual([{ name: 'registry-a' }, { name: 'registry-b' }]);
    });

    it("a tenant's settings override them; its pull secrets replace the operator's, [] for none", () => {
      const defaults = { imagePullPolicy: 'Always' as const, imagePullSecrets: ['registry-a'] };
      const own = podWith(defaults, { job: { imagePullPolicy: 'Never', imagePullSecrets: [{ name: 'tenant-registry' }] } });
      expect(own.containers[0]?.imagePullPolicy).toBe('Never');
      expect(own.imagePullSecrets).toEqual([{ name: 'tenant-registry' }]);
      expect(podWith(defaults, { job: { imagePullSecrets: [] } })).not.toHaveProperty('imagePullSecrets');
    });
  });

  describe('pod metadata', () => {
    const operatorLabels = jobSpec!.template.metadata!.labels!;

    it("labels and annotates the pod (not the Job) with the operator's and the tenant's, the tenant's winning on a key", () => {
      const built = build({ job: { podLabels: { team: 'billing', tier: 'gold' }, podAnnotations: { 'sidecar.istio.io/inject': 'false' } } }, false, 'acme', {
        ...builtinSyncPodDefaults,
        podLabels: { team: 'platform', cost: 'sync' },
        podAnnotations: { 'example.com/owner': 'platform', 'sidecar.istio.io/inject': 'true' },
      });
      const template = built.spec!.jobTemplate;
      expect(template.spec!.template.metadata?.labels).toEqual({ ...operatorLabels, team: 'billing', tier: 'gold', cost: 'sync' });
      expect(template.spec!.template.metadata?.annotations).toEqual({ 'tenantsync.io/name': 'acme', 'example.com/owner': 'platform', 'sidecar.istio.io/inject': 'false' });
      expect(template.metadata?.labels).toEqual(operatorLabels);
    });

    it("keeps the operator's own labels and annotations over the user's (selection and the run gate rely on them)", () => {
      const clash = build({ job: { podLabels: { 'tenantsync.io/name': 'other', 'tenantsync.io/trigger': 'manual' }, podAnnotations: { 'tenantsync.io/name': 'other' } } });
      expect(clash.spec!.jobTemplate.spec!.template.metadata?.labels).toEqual(operatorLabels);
      expect(clash.spec!.jobTemplate.spec!.template.metadata?.annotations).toEqual({ 'tenantsync.io/name': 'acme' });
    });
  });

  describe('scheduling and identity', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } } };

    it('sets no priority class, affinity or ServiceAccount of its own, and mounts no token', () => {
      for (const field of ['priorityClassName', 'affinity', 'serviceAccountName', 'serviceAccount']) expect(pod).not.toHaveProperty(field);
      expect(pod?.automountServiceAccountToken).toBe(false);
    });

    it("takes the operator's defaults, the ServiceAccount still without its token", () => {
      const withDefaults = podWith({ priorityClassName: 'batch-low', affinity, serviceAccountName: 'tenant-sync-job' });
      expect(withDefaults).toMatchObject({ priorityClassName: 'batch-low', affinity, serviceAccountName: 'tenant-sync-job', automountServiceAccountToken: false });
      // The deprecated twin the API server keeps in step, owned too, so that removing the setting removes both.
      expect(withDefaults.serviceAccount).toBe('tenant-sync-job');
    });

    it('a tenant overrides each; its affinity replaces the operator\'s; a token only when asked for', () => {
      const own = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
      const built = podWith(
        { priorityClassName: 'batch-low', affinity, serviceAccountName: 'tenant-sync-job' },
        { job: { priorityClassName: 'tenant-high', affinity: own, serviceAccountName: 'acme-sync', automountServiceAccountToken: true } },
      );
      expect(built).toMatchObject({ priorityClassName: 'tenant-high', affinity: own, serviceAccountName: 'acme-sync', automountServiceAccountToken: true });
      expect(podWith({ automountServiceAccountToken: true }).automountServiceAccountToken).toBe(true);
      expect(podWith({ automountServiceAccountToken: true }, { job: { automountServiceAccountToken: false } }).automountServiceAccountToken).toBe(false);
    });
  });

  describe('env', () => {
    const contractEnv = container!.env!;
    const envOf = (defaults: Partial<SyncPodDefaults>, spec: Partial<TenantSyncSpecInput> = {}) => podWith(defaults, spec).containers[0]!;

    it('puts the proxy variables, then the operator\'s --sync-env, then the tenant\'s after the job contract\'s', () => {
      const env = envOf(
        { proxy: { httpsProxy: 'http://proxy:3128', httpProxy: 'http://proxy:3128', noProxy: '.svc,.cluster.local' }, env: [{ name: 'TZ', value: 'UTC' }] },
        { job: { env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' }] } },
      ).env;
      expect(env).toEqual([
        ...contractEnv,
        { name: 'HTTPS_PROXY', value: 'http://proxy:3128' },
        { name: 'HTTP_PROXY', value: 'http://proxy:3128' },
        { name: 'NO_PROXY', value: '.svc,.cluster.local' },
        { name: 'TZ', value: 'UTC' },
        { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' },
      ]);
    });

    it("lets a tenant's variable replace the operator's of the same name (e.g. its own proxy)", () => {
      const env = envOf({ proxy: { httpsProxy: 'http://proxy:3128' }, env: [{ name: 'TZ', value: 'UTC' }] }, { job: { env: [{ name: 'HTTPS_PROXY', value: 'http://eu-proxy:3128' }] } }).env!;
      expect(env.slice(contractEnv.length)).toEqual([{ name: 'TZ', value: 'UTC' }, { name: 'HTTPS_PROXY', value: 'http://eu-proxy:3128' }]);
    });

    it('takes envFrom from the operator, then the tenant; none by default', () => {
      expect(container).not.toHaveProperty('envFrom');
      const built = envOf({ envFrom: [{ configMapRef: { name: 'sync-common' } }] }, { job: { envFrom: [{ secretRef: { name: 'acme-extra' }, prefix: 'ACME_' }] } });
      expect(built.envFrom).toEqual([{ configMapRef: { name: 'sync-common' } }, { secretRef: { name: 'acme-extra' }, prefix: 'ACME_' }]);
    });
  });

  describe('volumes (the CA-bundle recipe)', () => {
    const caVolume = { name: 'extra-ca', configMap: { name: 'corp-ca-bundle' } };
    const caMount = { name: 'extra-ca', mountPath: '/etc/ssl/extra', readOnly: true };

    it("adds the operator's, then the tenant's volumes and mounts after its own; the tenant's win on a name or mountPath", () => {
      const built = podWith(
        { volumes: [caVolume, { name: 'shared', secret: { secretName: 'shared' } }], volumeMounts: [caMount] },
        { job: { volumes: [{ name: 'extra-ca', configMap: { name: 'acme-ca' } }], volumeMounts: [{ name: 'extra-ca', mountPath: '/etc/ssl/extra' }] } },
      );
      expect(built.volumes?.slice(3)).toEqual([{ name: 'shared', secret: { secretName: 'shared' } }, { name: 'extra-ca', configMap: { name: 'acme-ca' } }]);
      expect(built.containers[0]?.volumeMounts?.slice(3)).toEqual([{ name: 'extra-ca', mountPath: '/etc/ssl/extra' }]);
      expect(built.volumes?.slice(0, 3).map((v) => v.name)).toEqual(['config', 'state', 'tmp']);
    });
  });

  // Server-side apply of the whole desired object, under one field manager, drops a field the operator no
  // longer sets; the applied-hash annotation (child-applier.ts) makes sure the apply happens.
  it.each<[string, Partial<TenantSyncSpecInput>]>([
    ['imagePullPolicy', { job: { imagePullPolicy: 'Always' } }],
    ['imagePullSecrets', { job: { imagePullSecrets: [{ name: 'registry' }] } }],
    ['podLabels', { job: { podLabels: { team: 'billing' } } }],
    ['podAnnotations', { job: { podAnnotations: { 'sidecar.istio.io/inject': 'false' } } }],
    ['priorityClassName', { job: { priorityClassName: 'batch-low' } }],
    ['affinity', { job: { affinity: { nodeAffinity: {} } } }],
    ['serviceAccountName', { job: { serviceAccountName: 'acme-sync' } }],
    ['automountServiceAccountToken', { job: { automountServiceAccountToken: true } }],
    ['env', { job: { env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/ca.crt' }] } }],
    ['envFrom', { job: { envFrom: [{ configMapRef: { name: 'ca' } }] } }],
    ['resources', { job: { resources: { limits: { memory: '1Gi' } } } }],
    ['volumes and volumeMounts', { job: { volumes: [{ name: 'ca', configMap: { name: 'ca' } }], volumeMounts: [{ name: 'ca', mountPath: '/etc/ssl/extra' }] } }],
  ])('removing spec.job.%s leaves the desired CronJob exactly as if it had never been set', (_field, spec) => {
    expect(canonicalJson(build(spec))).not.toBe(canonicalJson(cj));
    expect(canonicalJson(build({ job: {} }))).toBe(canonicalJson(cj));
  });

  it("changes with the operator's --sync-* defaults, so an operator restarted with new flags applies every CronJob again (applied hash)", () => {
    const withProxy = build({}, false, 'acme', { ...builtinSyncPodDefaults, proxy: { httpsProxy: 'http://proxy:3128' } });
    expect(canonicalJson(withProxy)).not.toBe(canonicalJson(cj));
    // A tenant's own setting hides the default: the flag's change does not touch its CronJob.
    const own = { job: { resources: { limits: { memory: '1Gi' } } } };
    expect(canonicalJson(build(own, false, 'acme', { resources: { requests: { cpu: '1' } } }))).toBe(canonicalJson(build(own)));
  });

  it('passes a user schedule and time zone through', () => {
    expect(build({ schedule: '0 9 * * 1-5', timeZone: 'Europe/Berlin' }).spec).toMatchObject({ schedule: '0 9 * * 1-5', timeZone: 'Europe/Berlin' });
    expect(build({ schedule: '0 9 * * 1-5' }).spec?.timeZone).toBeUndefined();
  });

  it('keeps a long name within the limits', () => {
    const long = build({}, false, `${'very-long-tenant-name-'.repeat(10)}x`);
    expect(long.metadata?.name?.length).toBeLessThanOrEqual(52);
    expect(long.metadata?.labels?.['tenantsync.io/name']?.length).toBeLessThanOrEqual(63);
    expect(long.metadata?.annotations?.['tenantsync.io/name']).toBe(`${'very-long-tenant-name-'.repeat(10)}x`);
  });
});
