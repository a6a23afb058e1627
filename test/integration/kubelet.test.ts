// The test kubelet against the real control plane (kube-apiserver + kube-controller-manager): Jobs
// complete and fail through the Job controller, env and volumes reach processes, deletion kills them.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Container, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredConfigMap, initialStateConfigMap, jobConfig } from '../../operator/reconcile/desired-configmaps.js';
import { desiredJobTemplate } from '../../operator/reconcile/desired-cronjob.js';
import { resultFinalizer } from '../../operator/reconcile/labels.js';
import { startPatch } from '../../operator/reconcile/run-gate.js';
import { tenantSyncSpecSchema } from '../../operator/api/tenantsync.js';
import { resultSchema } from '../../sync-job/contract.js';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '../controlplane/test-kube.js';
import { startFreshdeskFake, type FreshdeskFake } from '../fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../fakes/sink/index.js';
import type { ImageTable } from '../kubelet/images.js';
import { startTestKubelet, type TestKubelet } from '../kubelet/kubelet.js';
import { builtSyncJob, skipWithoutBuild } from '../support/build-output.js';
import { describeJobPods, waitFor, waitForJobCondition, waitForPod, waitForPodGone } from '../kubelet/wait-for.js';
import { signalable } from '../support/leftover-processes.js';

// Test images: each a tiny `node -e` program. RESULT is the termination message path (/dev/termination-log),
// which the kubelet rewrites to the pod directory, as it rewrites every mounted path in env and args.
// `--` ends node's own options, so a container's args reach the program.
const script = (source: string) => ['node', '-e', source, '--'];
const images: ImageTable = {
  'test.local/finish': script(
    `require('fs').writeFileSync(process.env.RESULT, process.env.MESSAGE ?? ''); process.exit(Number(process.env.EXIT_CODE ?? 0));`,
  ),
  'test.local/show-config': script(
    `const fs = require('fs');
     fs.writeFileSync(process.env.RESULT, JSON.stringify({
       secret: process.env.SECRET, greeting: process.env.GREETING, podName: process.env.POD_NAME,
       podNamespace: process.env.POD_NAMESPACE, podIP: process.env.POD_IP, configPath: process.env.CONFIG_FILE,
       config: fs.readFileSync(process.env.CONFIG_FILE, 'utf8'), secretPath: process.env.SECRET_FILE,
       secretFile: fs.readFileSync(process.env.SECRET_FILE, 'utf8'), secretFileMode: (fs.statSync(process.env.SECRET_FILE).mode & 0o777).toString(8),
       argv: process.argv.slice(1) }));`,
  ),
  'test.local/wait-for-sigterm': script(
    `process.on('SIGTERM', () => { require('fs').writeFileSync(process.env.RESULT, 'stopped by SIGTERM pid=' + process.pid); process.exit(0); });
     console.log('ready pid=' + process.pid); setInterval(() => {}, 1000);`,
  ),
  'test.local/ignore-sigterm': script(
    `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready pid=' + process.pid); setInterval(() => {}, 1000);`,
  ),
  'test.local/fail-with-logs': script(`for (let i = 1; i <= 100; i++) console.error('line ' + i); process.exit(1);`),
  'test.local/fail-once': script(
    `const fs = require('fs'); const marker = process.env.SCRATCH + '/failed-once';
     if (fs.existsSync(marker)) { fs.writeFileSync(process.env.RESULT, 'second run'); process.exit(0); }
     fs.writeFileSync(marker, 'x'); fs.writeFileSync(process.env.RESULT, 'first run'); process.exit(1);`,
  ),
};

const resultEnv = { name: 'RESULT', value: '/dev/termination-log' };
const holdFinalizer = 'test.tenantsync.io/hold';

let ns: TestNamespace;
let kubelet: TestKubelet;
let workDir: string;
const kubeConfig = testKubeConfig();
const core = kubeConfig.makeApiClient(CoreV1Api);
const batch = kubeConfig.makeApiClient(BatchV1Api);

function container(image: string, extra: Partial<V1Container> = {}): V1Container {
  return { name: 'main', image, env: [resultEnv], ...extra, ...(extra.env ? { env: [resultEnv, ...extra.env] } : {}) };
}

async function createPod(name: string, main: V1Container, spec: Partial<V1Pod['spec']> = {}, finalizers?: string[]): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name, ...(finalizers ? { finalizers } : {}) },
      spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [main], ...spec },
    },
  });
}

async function createJob(name: string, main: V1Container, spec: Partial<V1Job['spec']> = {}): Promise<V1Job> {
  return batch.createNamespacedJob({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        backoffLimit: 0,
        template: { spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [main] } },
        ...spec,
      },
    },
  });
}

async function jobPods(jobName: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `job-name=${jobName}` })).items;
}

const terminated = (pod: V1Pod) => pod.status?.containerStatuses?.[0]?.state?.terminated;
const isRunning = (pod: V1Pod) => pod.status?.containerStatuses?.[0]?.state?.running !== undefined;

/** The pid the program printed (`ready pid=N`) into its log in the pod directory. */
async function readyPid(pod: V1Pod, on: TestKubelet = kubelet): Promise<number> {
  const log = join(on.podDir(pod), 'containers', 'main', '0.log');
  return waitFor(`${log} to say ready`, 30_000, async () => {
    const text = await readFile(log, 'utf8').catch(() => '');
    const match = /ready pid=(\d+)/.exec(text);
    return match ? Number(match[1]) : undefined;
  });
}

async function release(name: string): Promise<void> {
  await core.patchNamespacedPod(
    { name, namespace: ns.name, body: { metadata: { finalizers: null } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** What the operator does once a run pod's result is read: remove its result finalizer (else deleting the namespace waits on it). */
async function releaseRunPods(namespace: string): Promise<void> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=tenantsync-operator' });
  for (const pod of pods.items) {
    const finalizers = pod.metadata?.finalizers ?? [];
    if (!finalizers.includes(resultFinalizer)) continue;
    await core.patchNamespacedPod(
      { name: pod.metadata?.name ?? '', namespace, body: { metadata: { finalizers: finalizers.filter((f) => f !== resultFinalizer) } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

beforeAll(async () => {
  ns = await createTestNamespace('kubelet');
  workDir = await mkdtemp(join(tmpdir(), 'tenant-sync-kubelet-test-'));
  kubelet = await startTestKubelet({
    kubeConfig,
    nodeName: `kubelet-${ns.name}`,
    workDir,
    images,
    namespaces: [ns.name],
    keepPodDirs: true,
    // Our sync image runs sync-job/main.ts through tsx: no build step, never a stale dist/.
    syncJobFrom: 'source',
  });
});

afterAll(async () => {
  // Delete the namespace while the kubelet still runs, so its pods are really stopped and deleted.
  if (ns) await releaseRunPods(ns.name).catch((error: unknown) => console.error(`releasing run pods: ${String(error)}`));
  await ns?.cleanup({ wait: true }).catch((error: unknown) => console.error(`namespace cleanup: ${String(error)}`));
  await kubelet?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('test kubelet', () => {
  it('registers a Ready node with InternalIP 127.0.0.1 and capacity', async () => {
    const node = await core.readNode({ name: kubelet.nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(Number(node.status?.capacity?.pods)).toBeGreaterThan(0);
    expect(node.status?.capacity?.cpu).toBeDefined();
  });

  it('runs a Job to Complete: the pod Succeeded with exit code 0 and the termination message', async () => {
    await createJob('finish-ok', container('test.local/finish', { env: [{ name: 'MESSAGE', value: 'all good' }] }));
    await waitForJobCondition(batch, ns.name, 'finish-ok', 'Complete');
    const [pod, ...others] = await jobPods('finish-ok');
    expect(others).toHaveLength(0);
    expect(pod?.spec?.nodeName).toBe(kubelet.nodeName);
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod?.status?.podIP).toBe('127.0.0.1');
    const state = pod && terminated(pod);
    expect(state).toMatchObject({ exitCode: 0, reason: 'Completed', message: 'all good' });
    expect(state?.startedAt).toBeDefined();
    expect(state?.finishedAt).toBeDefined();
  });

  it('fails a Job at once on exit code 2 with a FailJob podFailurePolicy: no retry pod', async () => {
    await createJob(
      'finish-exit-2',
      container('test.local/finish', { env: [{ name: 'EXIT_CODE', value: '2' }, { name: 'MESSAGE', value: 'bad credentials' }] }),
      {
        backoffLimit: 3,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [2] } }] },
      },
    );
    const job = await waitForJobCondition(batch, ns.name, 'finish-exit-2', 'Failed', undefined, core);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason, await describeJobPods(core, ns.name, 'finish-exit-2')).toBe('PodFailurePolicy');
    const pods = await jobPods('finish-exit-2');
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.phase).toBe('Failed');
    expect(pods[0] && terminated(pods[0])).toMatchObject({ exitCode: 2, reason: 'Error', message: 'bad credentials' });
  });

  it('waiting for Complete stops as soon as the Job Failed, and says what its pod reported', async () => {
    await createJob('finish-exit-1', container('test.local/finish', { env: [{ name: 'EXIT_CODE', value: '1' }, { name: 'MESSAGE', value: 'stream failed' }] }));
    // Without failing fast this would time out after 120 s with a different message.
    await expect(waitForJobCondition(batch, ns.name, 'finish-exit-1', 'Complete', 120_000, core)).rejects.toThrow(
      /is Failed \(BackoffLimitExceeded: .*\), not Complete\npod finish-exit-1-\w+ Failed: main terminated exitCode=1 reason=Error message="stream failed"/,
    );
  });

  it('passes secretKeyRef, configMapKeyRef and fieldRef env, ConfigMap and Secret volume files and rewritten paths to the process', async () => {
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'creds' }, stringData: { token: 's3cr3t' } } });
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'settings' }, data: { 'config.json': '{"tenant":"acme"}', greeting: 'hello' } },
    });
    const pod = await createPod(
      'show-config',
      container('test.local/show-config', {
        args: ['--config=/etc/app/config/config.json'],
        env: [
          { name: 'SECRET', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'CONFIG_FILE', value: '/etc/app/config/config.json' },
          { name: 'SECRET_FILE', value: '/var/run/secrets/app/credentials/token' },
        ],
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app/config', readOnly: true },
          { name: 'credentials', mountPath: '/var/run/secrets/app', readOnly: true },
        ],
      }),
      {
        volumes: [
          { name: 'config', configMap: { name: 'settings', items: [{ key: 'config.json', path: 'config.json' }] } },
          { name: 'credentials', secret: { secretName: 'creds', defaultMode: 0o400, items: [{ key: 'token', path: 'credentials/token' }] } },
        ],
      },
    );
    const done = await waitForPod(core, ns.name, 'show-config', 'to succeed', (p) => p.status?.phase === 'Succeeded');
    const seen = JSON.parse(terminated(done)?.message ?? '{}') as Record<string, unknown>;
    const configPath = join(kubelet.podDir(pod), 'volumes', 'config', 'config.json');
    const secretPath = join(kubelet.podDir(pod), 'volumes', 'credentials', 'credentials', 'token');
    expect(seen).toEqual({
      secret: 's3cr3t',
      greeting: 'hello',
      podName: 'show-config',
      podNamespace: ns.name,
      podIP: '127.0.0.1',
      configPath,
      config: '{"tenant":"acme"}',
      // The Secret's key as a file at the item's path; defaultMode 0400: only the owner may read it
      // (the test kubelet keeps owner write, so it can rewrite the file when the Secret changes).
      secretPath,
      secretFile: 's3cr3t',
      secretFileMode: expect.stringMatching(/^[46]00$/),
      // Image argv (node -e <program>) followed by the container's args, with the mounted path rewritten.
      argv: [`--config=${configPath}`],
    });
  });

  it('keeps a container Waiting with CreateContainerConfigError while its Secret is missing, then runs it', async () => {
    await createPod(
      'late-secret',
      container('test.local/finish', { env: [{ name: 'MESSAGE', valueFrom: { secretKeyRef: { name: 'late', key: 'message' } } }] }),
    );
    const waiting = await waitForPod(core, ns.name, 'late-secret', 'to wait for its Secret', (p) => p.status?.containerStatuses?.[0]?.state?.waiting !== undefined && p.status.containerStatuses[0].state.waiting.reason === 'CreateContainerConfigError');
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('secret "late" not found');
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'late' }, stringData: { message: 'arrived' } } });
    const done = await waitForPod(core, ns.name, 'late-secret', 'to succeed', (p) => p.status?.phase === 'Succeeded');
    expect(terminated(done)?.message).toBe('arrived');
  });

  it('fails a pod whose image it does not know, with a clear reason', async () => {
    await createPod('unknown-image', container('test.local/no-such-image:1'));
    const failed = await waitForPod(core, ns.name, 'unknown-image', 'to fail', (p) => p.status?.phase === 'Failed');
    expect(failed.status?.reason).toBe('ErrImagePull');
    expect(terminated(failed)).toMatchObject({ reason: 'ErrImagePull' });
    expect(terminated(failed)?.message).toContain('image test.local/no-such-image:1 is not known to the test kubelet');
  });

  it('uses the log tail as the message with FallbackToLogsOnError when a failing container wrote none', async () => {
    await createPod('fail-with-logs', container('test.local/fail-with-logs', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
    const failed = await waitForPod(core, ns.name, 'fail-with-logs', 'to fail', (p) => p.status?.phase === 'Failed');
    const lines = (terminated(failed)?.message ?? '').trimEnd().split('\n');
    // The kubelet keeps the last 80 lines (at most 2,048 bytes).
    expect(lines).toHaveLength(80);
    expect(lines[0]).toBe('line 21');
    expect(lines.at(-1)).toBe('line 100');
    expect(terminated(failed)?.exitCode).toBe(1);
  });

  it('deleting a running pod sends SIGTERM first: the process writes its message, then the pod is deleted', async () => {
    // A finalizer of our own keeps the deleted pod readable, so the test can see its last status.
    const pod = await createPod('graceful', container('test.local/wait-for-sigterm'), {}, [holdFinalizer]);
    await waitForPod(core, ns.name, 'graceful', 'to run', isRunning);
    const pid = await readyPid(pod);
    expect(signalable(pid)).toBe(true);
    await core.deleteNamespacedPod({ name: 'graceful', namespace: ns.name, gracePeriodSeconds: 30 });
    const ended = await waitForPod(core, ns.name, 'graceful', 'to end', (p) => terminated(p) !== undefined);
    expect(terminated(ended)).toMatchObject({ exitCode: 0, message: `stopped by SIGTERM pid=${pid}` });
    expect(signalable(pid)).toBe(false);
    // Then the kubelet deletes it with grace period 0: only our finalizer keeps it.
    await waitForPod(core, ns.name, 'graceful', 'to be deleted with grace 0', (p) => p.metadata?.deletionGracePeriodSeconds === 0);
    await release('graceful');
    await waitForPodGone(core, ns.name, 'graceful');
  });

  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const pod = await createPod('stubborn', container('test.local/ignore-sigterm'), { terminationGracePeriodSeconds: 2 }, [holdFinalizer]);
    await waitForPod(core, ns.name, 'stubborn', 'to run', isRunning);
    const pid = await readyPid(pod);
    await core.deleteNamespacedPod({ name: 'stubborn', namespace: ns.name });
    const ended = await waitForPod(core, ns.name, 'stubborn', 'to end', (p) => terminated(p) !== undefined);
    expect(terminated(ended)).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(ended.status?.phase).toBe('Failed');
    expect(signalable(pid)).toBe(false);
    expect(await readFile(join(kubelet.podDir(pod), 'containers', 'main', '0.log'), 'utf8')).toContain('ignoring SIGTERM');
    await release('stubborn');
  });

  it("fails a pod past its own activeDeadlineSeconds with DeadlineExceeded", async () => {
    const pod = await createPod('pod-deadline', container('test.local/wait-for-sigterm'), { activeDeadlineSeconds: 3 });
    const pid = await readyPid(pod);
    const failed = await waitForPod(core, ns.name, 'pod-deadline', 'to fail', (p) => p.status?.phase === 'Failed');
    expect(failed.status?.reason).toBe('DeadlineExceeded');
    expect(terminated(failed)?.message).toBe(`stopped by SIGTERM pid=${pid}`);
    expect(signalable(pid)).toBe(false);
  });

  it("honours a Job's activeDeadlineSeconds: the Job controller deletes the pod and the kubelet stops the process", async () => {
    await createJob('job-deadline', container('test.local/wait-for-sigterm'), { activeDeadlineSeconds: 3 });
    const [pod] = await waitFor('the Job to have a pod', 30_000, async () => {
      const pods = await jobPods('job-deadline');
      return pods.length > 0 ? pods : undefined;
    });
    const pid = await readyPid(pod as V1Pod);
    const job = await waitForJobCondition(batch, ns.name, 'job-deadline', 'Failed');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    await waitFor(`process ${pid} to be gone`, 30_000, async () => (signalable(pid) ? undefined : true));
    await waitForPodGone(core, ns.name, pod?.metadata?.name ?? '');
    // The process got SIGTERM and wrote its message before it was killed.
    const message = await readFile(join(kubelet.podDir(pod as V1Pod), 'containers', 'main', 'termination-log'), 'utf8');
    expect(message).toBe(`stopped by SIGTERM pid=${pid}`);
  });

  it('restarts a failed container in place with restartPolicy OnFailure', async () => {
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'fail-once' },
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              automountServiceAccountToken: false,
              containers: [
                container('test.local/fail-once', {
                  env: [{ name: 'SCRATCH', value: '/scratch' }],
                  volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
                }),
              ],
              volumes: [{ name: 'scratch', emptyDir: {} }],
            },
          },
        },
      },
    });
    await waitForJobCondition(batch, ns.name, 'fail-once', 'Complete');
    const [pod, ...others] = await jobPods('fail-once');
    expect(others).toHaveLength(0);
    const status = pod?.status?.containerStatuses?.[0];
    expect(status?.restartCount).toBe(1);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, message: 'first run' });
    expect(status?.state?.terminated).toMatchObject({ exitCode: 0, message: 'second run' });
  });

  it('runs the Job a */1 CronJob gets from kube-controller-manager to completion', async () => {
    await batch.createNamespacedCronJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'every-minute' },
        spec: {
          schedule: '*/1 * * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  automountServiceAccountToken: false,
                  containers: [container('test.local/finish', { env: [{ name: 'MESSAGE', value: 'scheduled run' }] })],
                },
              },
            },
          },
        },
      },
    });
    // The first run is due within 60 s of creation; allow for the controller's and the Job's latency.
    const cronJob = await waitFor('the CronJob to record a successful run', 100_000, async () => {
      const current = await batch.readNamespacedCronJob({ name: 'every-minute', namespace: ns.name });
      return current.status?.lastSuccessfulTime ? current : undefined;
    });
    expect(cronJob.status?.lastScheduleTime).toBeDefined();
    const jobs = (await batch.listNamespacedJob({ namespace: ns.name })).items.filter((j) => j.metadata?.ownerReferences?.[0]?.name === 'every-minute');
    const completed = jobs.filter((j) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
    expect(completed.length).toBeGreaterThanOrEqual(1);
    const pods = await jobPods(completed[0]?.metadata?.name ?? '');
    expect(pods.map((p) => p.status && terminated(p)?.message)).toContain('scheduled run');
    await batch.deleteNamespacedCronJob({ name: 'every-minute', namespace: ns.name, propagationPolicy: 'Background' });
  }, 150_000);

  describe('our sync image, from the operator\'s Job template unchanged', () => {
    let freshdesk: FreshdeskFake;
    let sink: SinkReceiver;
    const syncImage = 'ghcr.io/tenant-sync/sync-job:dev';

    beforeAll(async () => {
      freshdesk = await startFreshdeskFake({ apiKey: 'right-key' });
      freshdesk.data.addTickets(3, () => ({ updated_at: '2024-05-01T10:00:00Z' }));
      sink = await startSinkReceiver();
    });
    afterAll(async () => {
      await freshdesk?.close();
      await sink?.close();
    });

    /** The operator's ConfigMaps and Job for a tenant (no owner: no TenantSync exists to own them). */
    async function createSyncJob(tenant: string, apiKey: string, namespace: string = ns.name): Promise<string> {
      const owner = { name: tenant, namespace, uid: '00000000-0000-0000-0000-000000000000' };
      const spec = tenantSyncSpecSchema.parse({
        interval: '1h',
        source: { type: 'freshdesk', baseUrl: freshdesk.baseUrl, credentialsSecretRef: { name: `${tenant}-freshdesk`, key: 'apiKey' }, streams: [{ name: 'tickets' }] },
        sink: { type: 'http', url: sink.url },
      });
      const schedule = { cron: '7 * * * *', timeZone: undefined, intervalSeconds: 3600, source: 'interval' as const };
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: `${tenant}-freshdesk` }, stringData: { apiKey } } });
      for (const configMap of [desiredConfigMap(owner, jobConfig(spec, tenant, schedule)), initialStateConfigMap(owner)]) {
        await core.createNamespacedConfigMap({ namespace, body: { ...configMap, metadata: { ...configMap.metadata, ownerReferences: [] } } });
      }
      const template = desiredJobTemplate({ owner, spec, defaultSyncImage: syncImage });
      const name = `${tenant}-run`;
      // Like every Job of a tenant, it starts suspended; the operator's run gate starts it with this patch.
      const created = await batch.createNamespacedJob({ namespace, body: { metadata: { name, labels: template.metadata?.labels }, spec: template.spec } });
      expect(created.spec?.suspend).toBe(true);
      await waitFor(`the run gate's start of Job ${name}`, 30_000, async () => {
        // The patch carries a resourceVersion precondition; the Job controller writes the Job too (409: look again).
        const live = await batch.readNamespacedJob({ namespace, name });
        const started = await batch
          .patchNamespacedJob({ namespace, name, body: startPatch(live, new Date()) }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
          .then(() => true, (error: unknown) => ((error as { code?: number }).code === 409 ? undefined : Promise.reject(error as Error)));
        return started;
      });
      return name;
    }

    it('syncs to the sink and reports a valid result as its termination message; the Job completes', async () => {
      const job = await createSyncJob('acme', 'right-key');
      await waitForJobCondition(batch, ns.name, job, 'Complete', 120_000, core);
      const [pod] = await jobPods(job);
      const result = resultSchema.parse(JSON.parse(terminated(pod as V1Pod)?.message ?? 'null'));
      expect(result.outcome).toBe('Succeeded');
      expect(result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 3 });
      expect(sink.records('acme', 'tickets')).toHaveLength(3);
    });

    it('runs the built dist/sync-job (what the image holds) as the container: the Job completes with a valid result', async (context) => {
      const skip = skipWithoutBuild(builtSyncJob);
      if (skip !== undefined) return context.skip(skip);
      expect(existsSync(builtSyncJob), `${builtSyncJob} is missing: CI must run npm run build before npm test`).toBe(true);
      // A second kubelet (its own node and namespace) whose sync image is the built job, not tsx.
      const distNs = await createTestNamespace('kubelet-dist');
      const lines: string[] = [];
      const distKubelet = await startTestKubelet({
        kubeConfig,
        nodeName: `kubelet-${distNs.name}`,
        workDir: join(workDir, 'dist'),
        namespaces: [distNs.name],
        syncJobFrom: 'dist',
        log: (line) => lines.push(line),
      });
      try {
        const job = await createSyncJob('built', 'right-key', distNs.name);
        await waitForJobCondition(batch, distNs.name, job, 'Complete', 120_000, core);
        const [pod, ...others] = (await core.listNamespacedPod({ namespace: distNs.name, labelSelector: `job-name=${job}` })).items;
        expect(others).toHaveLength(0);
        expect(pod?.spec?.nodeName).toBe(distKubelet.nodeName);
        const result = resultSchema.parse(JSON.parse(terminated(pod as V1Pod)?.message ?? 'null'));
        expect(result.outcome).toBe('Succeeded');
        expect(result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 3 });
        expect(sink.records('built', 'tickets')).toHaveLength(3);
        // The process was node + dist/sync-job/main.js, without the tsx loader.
        const started = lines.filter((line) => / container sync started \(pid \d+\): /.test(line));
        expect(started, lines.join('\n')).toHaveLength(1);
        expect(started[0]).toContain(`${process.execPath} ${builtSyncJob}`);
        expect(started[0]).not.toMatch(/tsx|sync-job\/main\.ts/);
      } finally {
        await releaseRunPods(distNs.name).catch((error: unknown) => console.error(`releasing run pods: ${String(error)}`));
        await distNs.cleanup({ wait: true }).catch((error: unknown) => console.error(`namespace cleanup: ${String(error)}`));
        await distKubelet.stop();
      }
    });

    it('fails the Job at once on wrong credentials (exit 2) with the failed result as the message', async () => {
      const job = await createSyncJob('wrong-key', 'not-the-key');
      const failed = await waitForJobCondition(batch, ns.name, job, 'Failed', 120_000, core);
      // On a mismatch, say what the pods reported: the exit code and the result or log tail explain why.
      expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason, await describeJobPods(core, ns.name, job)).toBe('PodFailurePolicy');
      const pods = await jobPods(job);
      expect(pods).toHaveLength(1);
      expect(terminated(pods[0] as V1Pod)?.exitCode).toBe(2);
      const result = resultSchema.parse(JSON.parse(terminated(pods[0] as V1Pod)?.message ?? 'null'));
      expect(result.outcome).toBe('Failed');
    });
  });

  it('after a restart, reports containers lost with the previous run as ContainerStatusUnknown and never reruns them', async () => {
    const other = await createTestNamespace('kubelet-restart');
    const options = { kubeConfig, nodeName: `kubelet-${other.name}`, workDir: join(workDir, 'restart'), images, namespaces: [other.name] };
    const first = await startTestKubelet(options);
    let second: TestKubelet | undefined;
    try {
      const pod = await core.createNamespacedPod({
        namespace: other.name,
        body: { metadata: { name: 'lost' }, spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [container('test.local/wait-for-sigterm')] } },
      });
      await waitForPod(core, other.name, 'lost', 'to run', isRunning);
      const pid = await readyPid(pod, first);
      await first.stop();
      expect(signalable(pid)).toBe(false);
      second = await startTestKubelet(options);
      const failed = await waitForPod(core, other.name, 'lost', 'to fail', (p) => p.status?.phase === 'Failed');
      expect(terminated(failed)).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
      // Not started again: its log has the first run's line only.
      const log = await readFile(join(second.podDir(pod), 'containers', 'main', '0.log'), 'utf8');
      expect(log.match(/ready pid=/g)).toHaveLength(1);
    } finally {
      await other.cleanup({ wait: true }).catch((error: unknown) => console.error(`namespace cleanup: ${String(error)}`));
      await first.stop();
      await second?.stop();
    }
  });
});
