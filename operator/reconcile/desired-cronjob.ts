// The CronJob of a TenantSync, a pure function of the validated spec: the job contract of the design
// (config and state ConfigMaps mounted, secrets by reference, result in the termination message).
import type { V1Affinity, V1CronJob, V1EnvFromSource, V1EnvVar, V1JobTemplateSpec, V1ResourceRequirements, V1Toleration, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { envNames, exitCodes } from '../../sync-job/contract.js';
import { parseDurationSeconds } from '../api/duration.js';
import { jobSchema, type TenantSyncSpec } from '../api/tenantsync.js';
import { configFileName, stateFileName } from './desired-configmaps.js';
import { childLabels, childMetadata, deadlineAnnotation, nameAnnotation, resultFinalizer, triggerLabel, type OwnerIdentity } from './labels.js';
import { childNames } from './names.js';
import type { Built } from './objects.js';
import type { EffectiveSchedule } from './schedule.js';
import { builtinSyncPodDefaults, syncPodSettings, type SyncPodDefaults } from './sync-pod.js';

export const syncContainerName = 'sync';
export const configMountPath = '/etc/tenantsync/config';
export const stateMountPath = '/var/lib/tenantsync/state';
export const terminationMessagePath = '/dev/termination-log';
/** The uid/gid of the distroless "nonroot" user. */
export const syncUserId = 65532;
/**
 * How late the CronJob controller may still start a missed run (after a controller-manager outage).
 * Also keeps it from ever counting more than 100 missed schedules.
 */
export const startingDeadlineSeconds = 600;

export interface CronJobInputs {
  readonly owner: OwnerIdentity;
  readonly spec: TenantSyncSpec;
  readonly schedule: EffectiveSchedule;
  /** Image when spec.job.image is not set: the operator's --sync-image. */
  readonly defaultSyncImage: string;
  /** A referenced Secret or key is missing: keep the CronJob from starting pods that cannot start. */
  readonly secretsMissing: boolean;
  /** The operator's --sync-* settings for every sync pod; default: those of an operator without flags. */
  readonly syncPodDefaults?: SyncPodDefaults | undefined;
}

/** spec.job with the schema's defaults filled in when the user left the whole block out. */
export function jobSettings(spec: TenantSyncSpec): NonNullable<TenantSyncSpec['job']> {
  return spec.job ?? jobSchema.parse({});
}

/** spec.job.timeout in whole seconds (the Job's activeDeadlineSeconds). */
export function timeoutSeconds(spec: TenantSyncSpec): number {
  return Math.ceil(parseDurationSeconds(jobSettings(spec).timeout) ?? 3600);
}

function syncEnv(spec: TenantSyncSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: envNames.config, value: `${configMountPath}/${configFileName}` },
    { name: envNames.state, value: `${stateMountPath}/${stateFileName}` },
    { name: envNames.result, value: terminationMessagePath },
    // The run's deadline, so it stops itself before the Job controller deletes its pod (and the result with it):
    // the time the operator set when it let the Job start, and the timeout as a fallback counted from the start.
    { name: envNames.deadline, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${deadlineAnnotation}']` } } },
    { name: envNames.deadlineSeconds, value: String(timeoutSeconds(spec)) },
    {
      name: envNames.sourceApiKey,
      valueFrom: { secretKeyRef: { name: spec.source.credentialsSecretRef.name, key: spec.source.credentialsSecretRef.key } },
    },
  ];
  if (spec.sink.authSecretRef !== undefined) {
    env.push({
      name: envNames.sinkToken,
      valueFrom: { secretKeyRef: { name: spec.sink.authSecretRef.name, key: spec.sink.authSecretRef.key } },
    });
  }
  return env;
}

/** The Job template of the CronJob; run-now Jobs are copies of it. */
export function desiredJobTemplate(inputs: Omit<CronJobInputs, 'schedule' | 'secretsMissing'>): V1JobTemplateSpec {
  const { owner, spec } = inputs;
  const job = jobSettings(spec);
  const pod = syncPodSettings(inputs.syncPodDefaults ?? builtinSyncPodDefaults, job);
  const names = childNames(owner.name);
  const labels = { ...childLabels(owner, 'sync-job'), [triggerLabel]: 'scheduled' };
  const annotations = { [nameAnnotation]: owner.name };
  return {
    metadata: { labels, annotations },
    spec: {
      // Every run waits until the operator lets it start (operator/reconcile/run-gate.ts): never two at once.
      suspend: true,
      activeDeadlineSeconds: timeoutSeconds(spec),
      backoffLimit: job.backoffLimit,
      podFailurePolicy: {
        rules: [
          // Exit code 2 is a configuration or credentials error, 3 a run that stopped at its deadline: retrying cannot help.
          {
            action: 'FailJob',
            onExitCodes: { containerName: syncContainerName, operator: 'In', values: [exitCodes.configOrCredentials, exitCodes.deadline] },
          },
          // A pod evicted or preempted did not fail on its own; do not count it against backoffLimit.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        // The pod stays (Terminating) after a delete until the operator has read its result (evictions, Job deletes).
        // The operator's own labels and annotations win over the user's: selection and the run gate rely on them.
        metadata: { labels: { ...pod.labels, ...labels }, annotations: { ...pod.annotations, ...annotations }, finalizers: [resultFinalizer] },
        spec: {
          restartPolicy: 'Never',
          // Also the deprecated serviceAccount, which the API server fills from serviceAccountName and back: owned by
          // the operator too, so removing the setting removes both (else the leftover one brings the name back).
          ...(pod.serviceAccountName !== undefined ? { serviceAccountName: pod.serviceAccountName, serviceAccount: pod.serviceAccountName } : {}),
          automountServiceAccountToken: pod.automountServiceAccountToken,
          enableServiceLinks: false,
          ...(pod.imagePullSecrets !== undefined ? { imagePullSecrets: pod.imagePullSecrets } : {}),
          ...(pod.priorityClassName !== undefined ? { priorityClassName: pod.priorityClassName } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: syncUserId,
            runAsGroup: syncUserId,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: syncContainerName,
              image: job.image ?? inputs.defaultSyncImage,
              ...(pod.imagePullPolicy !== undefined ? { imagePullPolicy: pod.imagePullPolicy } : {}),
              // The job contract's variables first; the user's cannot take their names (TENANTSYNC_* is reserved).
              env: [...syncEnv(spec), ...(pod.env as V1EnvVar[])],
              ...(pod.envFrom.length > 0 ? { envFrom: pod.envFrom as V1EnvFromSource[] } : {}),
              resources: pod.resources as V1ResourceRequirements,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              terminationMessagePath,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [
                { name: 'config', mountPath: configMountPath, readOnly: true },
                { name: 'state', mountPath: stateMountPath, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...(pod.volumeMounts as V1VolumeMount[]),
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: names.configMap } },
            { name: 'state', configMap: { name: names.stateConfigMap } },
            { name: 'tmp', emptyDir: {} },
            ...(pod.volumes as V1Volume[]),
          ],
          ...(job.nodeSelector !== undefined ? { nodeSelector: job.nodeSelector } : {}),
          ...(job.tolerations !== undefined ? { tolerations: job.tolerations as V1Toleration[] } : {}),
          ...(pod.affinity !== undefined ? { affinity: pod.affinity as V1Affinity } : {}),
        },
      },
    },
  };
}

/** The CronJob, complete: applied with server-side apply, so any field changed by hand is restored. */
export function desiredCronJob(inputs: CronJobInputs): Built<V1CronJob> {
  const { owner, spec, schedule } = inputs;
  const job = jobSettings(spec);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: childMetadata(owner, childNames(owner.name).cronJob, 'sync-job'),
    spec: {
      schedule: schedule.cron,
      ...(schedule.timeZone !== undefined ? { timeZone: schedule.timeZone } : {}),
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds,
      suspend: spec.suspend || inputs.secretsMissing,
      successfulJobsHistoryLimit: job.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: job.failedJobsHistoryLimit,
      jobTemplate: desiredJobTemplate(inputs),
    },
  };
}
