import { describe, expect, it } from 'vitest';
import { desiredCronJob } from '../../../operator/reconcile/desired-cronjob.js';
import { effectiveSchedule } from '../../../operator/reconcile/schedule.js';
import { ownerOf, tenantSync } from './fixtures.js';
import type { TenantSyncSpecInput } from '../../../operator/api/tenantsync.js';
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
        'app.kubernetes.io/instance': 'acme',
        'app.kubernetes.io/managed-by': 'tenantsync-operator',
        'tenantsync.io/name': 'acme',
      });
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
