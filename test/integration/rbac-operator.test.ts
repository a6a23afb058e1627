// The operator run as the chart's ServiceAccount (a TokenRequest token, nothing else) against the real API
// server, with the chart's own arguments: it wins the Lease, reconciles TenantSyncs in the namespaces it
// watches (CronJob, Ready, missing Secret seen, run-now Job, a deleted CronJob recreated, a finished run's
// result recorded into the state ConfigMap, status and the Job), leaves others alone, and is never refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1CronJob } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { runRequestedAtAnnotation } from '../../operator/api/tenantsync.js';
import { parseConfig } from '../../operator/config.js';
import { childNames } from '../../operator/reconcile/names.js';
import { stateSchema, type JobResult } from '../../sync-job/contract.js';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';
import { findObject, operatorArgs, renderChart, type K8sObject } from '../helm/helm.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { finishedJob, testClient } from './operator-helpers.js';
import { apply, createSecret, rbacKinds, refusals, serviceAccountKubeconfig, tenantSyncYaml, waitTimeout } from './rbac-helpers.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[rbac-operator.test] skipped: ${skipReason}`);

for (const mode of ['namespaces', 'cluster'] as const) {
  describe.skipIf(skipReason !== undefined)(`the operator as the chart's ServiceAccount (${mode} mode)`, () => {
    let release: TestNamespace;
    let watched: TestNamespace;
    let unwatched: TestNamespace;
    let operator: OperatorProcess | undefined;
    let serviceAccount = '';
    const clusterObjects: K8sObject[] = [];

    beforeAll(async () => {
      const namespaces = await Promise.all([createTestNamespace(`op-${mode}-rel`), createTestNamespace(`op-${mode}-w`), createTestNamespace(`op-${mode}-u`)]);
      [release, watched, unwatched] = namespaces as [TestNamespace, TestNamespace, TestNamespace];
      const values = mode === 'namespaces' ? { watch: { mode, namespaces: [watched.name] } } : {};
      const { objects } = await renderChart({ release: `op-${release.name.slice(-5)}`, namespace: release.name, values });
      const rbac = objects.filter((o) => rbacKinds.has(o.kind));
      clusterObjects.push(...rbac.filter((o) => o.kind.startsWith('Cluster')));
      await apply(rbac.map((o) => stringify(o)).join('---\n'));

      // The chart's own operator arguments, with only the address and the log level changed for a test process.
      const args = operatorArgs(objects).filter((a) => !/^--(health-addr|log-level)=/.test(a));
      const config = parseConfig(args, { POD_NAMESPACE: release.name });
      expect(config.leaderElect).toBe(true);
      expect(config.namespaces).toEqual(mode === 'namespaces' ? [watched.name] : undefined);
      serviceAccount = findObject(objects, 'ServiceAccount')!.metadata.name;
      const kubeconfig = await serviceAccountKubeconfig(release.name, serviceAccount);
      operator = await startOperator({ kubeconfig, args, env: { POD_NAMESPACE: release.name, POD_NAME: 'operator-0' } });
    });

    afterAll(async () => {
      await operator?.stop();
      for (const o of clusterObjects) await kubectl(['delete', o.kind, o.metadata.name, '--ignore-not-found']);
      await Promise.all([release, watched, unwatched].map((ns) => ns?.cleanup()));
    });

    it('takes the Lease in the release namespace', async () => {
      await operator!.waitForLog((l) => /leader|lead/i.test(String(l.msg)) && !/stand/i.test(String(l.msg)), 60_000);
      const deadline = Date.now() + 60_000;
      while ((await operator!.metric('tenantsync_leader')) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await operator!.metric('tenantsync_leader')).toBe(1);
    });

    it('reconciles a TenantSync in a watched namespace to Ready with its CronJob', async () => {
      await createSecret(watched.name, 'acme-freshdesk');
      await apply(tenantSyncYaml(watched.name, 'acme', 'acme-freshdesk'));
      const ready = await kubectl(['-n', watched.name, 'wait', 'tsync/acme', '--for=condition=Ready', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
      expect(ready.code, `${ready.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
      const cronJob = await kubectl(['-n', watched.name, 'get', 'tsync', 'acme', '-o', 'jsonpath={.status.cronJobName}']);
      expect(cronJob.stdout).not.toBe('');
      const found = await kubectl(['-n', watched.name, 'get', 'cronjob', cronJob.stdout, '-o', 'jsonpath={.spec.jobTemplate.spec.template.spec.containers[0].image}']);
      expect(found.code, found.stderr).toBe(0);
      expect(found.stdout).toBe('ghcr.io/tenant-sync/sync-job:0.1.0');
    });

    it('reads Secrets by name: a missing one is reported as such, not as a refusal', async () => {
      await apply(tenantSyncYaml(watched.name, 'nokey', 'nokey-freshdesk'));
      const stalled = await kubectl(['-n', watched.name, 'wait', 'tsync/nokey', '--for=jsonpath={.status.conditions[?(@.type=="Ready")].reason}=SecretNotFound', `--timeout=${waitTimeout}`], {
        timeoutMs: 120_000,
      });
      expect(stalled.code, `${stalled.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
    });

    it('creates the run-now Job', async () => {
      const annotate = await kubectl(['-n', watched.name, 'annotate', 'tsync/acme', `${runRequestedAtAnnotation}=rbac-1`, '--overwrite']);
      expect(annotate.code, annotate.stderr).toBe(0);
      const handled = await kubectl(['-n', watched.name, 'wait', 'tsync/acme', '--for=jsonpath={.status.lastHandledRunRequest}=rbac-1', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
      expect(handled.code, `${handled.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
      const jobs = await kubectl(['-n', watched.name, 'get', 'jobs', '-o', 'name']);
      expect(jobs.stdout.trim().split('\n').filter((l) => l !== '')).toHaveLength(1);
    });

    if (mode === 'namespaces') {
      it('leaves a TenantSync in a namespace it does not watch alone', async () => {
        await createSecret(unwatched.name, 'other-freshdesk');
        await apply(tenantSyncYaml(unwatched.name, 'other', 'other-freshdesk'));
        // A change in the watched namespace made after this one, and handled: the operator has moved past it.
        await kubectl(['-n', watched.name, 'annotate', 'tsync/acme', `${runRequestedAtAnnotation}=rbac-2`, '--overwrite']);
        const handled = await kubectl(['-n', watched.name, 'wait', 'tsync/acme', '--for=jsonpath={.status.lastHandledRunRequest}=rbac-2', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
        expect(handled.code, handled.stderr).toBe(0);
        const status = await kubectl(['-n', unwatched.name, 'get', 'tsync', 'other', '-o', 'jsonpath={.status}']);
        expect(status.stdout).toBe('');
        const cronJobs = await kubectl(['-n', unwatched.name, 'get', 'cronjobs', '-o', 'name']);
        expect(cronJobs.stdout.trim()).toBe('');
      });
    } else {
      it('reconciles a TenantSync in any namespace', async () => {
        await createSecret(unwatched.name, 'other-freshdesk');
        await apply(tenantSyncYaml(unwatched.name, 'other', 'other-freshdesk'));
        const ready = await kubectl(['-n', unwatched.name, 'wait', 'tsync/other', '--for=condition=Ready', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
        expect(ready.code, ready.stderr).toBe(0);
      });
    }

    it('repairs drift: a deleted CronJob comes back', async () => {
      const { cronJob } = childNames('acme');
      const uid = async () => (await kubectl(['-n', watched.name, 'get', 'cronjob', cronJob, '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found'])).stdout;
      const before = await uid();
      expect(before).not.toBe('');
      const deleted = await kubectl(['-n', watched.name, 'delete', 'cronjob', cronJob, '--wait=true']);
      expect(deleted.code, deleted.stderr).toBe(0);
      const deadline = Date.now() + 90_000;
      let after = await uid();
      while ((after === '' || after === before) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        after = await uid();
      }
      expect(after, `CronJob ${cronJob} not recreated\n${operator!.output().slice(-3000)}`).not.toBe('');
      expect(after).not.toBe(before);
    });

    it("records a finished run's result: cursors into the state ConfigMap, status.lastRun, the Job marked applied", async () => {
      const names = childNames('acme');
      const cronJob = JSON.parse((await kubectl(['-n', watched.name, 'get', 'cronjob', names.cronJob, '-o', 'json'])).stdout) as V1CronJob;
      const jobName = `${names.cronJob}-29000001`;
      const second = (ms: number) => new Date(Math.floor((Date.now() - ms) / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
      const [startTime, finishedAt, cursorTime] = [second(120_000), second(60_000), second(600_000)];
      const result: JobResult = {
        version: 1,
        outcome: 'Succeeded',
        startedAt: startTime,
        finishedAt,
        streams: { tickets: { outcome: 'Succeeded', records: 3, cursor: { updatedAt: cursorTime, ids: ['41'] } } },
      };
      // The Job and its pod as the Job controller and the kubelet leave them (made by the test's admin client).
      await finishedJob(testClient(), cronJob, {
        name: jobName,
        state: 'Complete',
        startTime,
        completionTime: finishedAt,
        attempts: [{ exitCode: 0, message: JSON.stringify(result), finishedAt }],
      });

      const recorded = await kubectl(['-n', watched.name, 'wait', 'tsync/acme', `--for=jsonpath={.status.lastRun.jobName}=${jobName}`, `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
      expect(recorded.code, `${recorded.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
      const lastRun = await kubectl(['-n', watched.name, 'get', 'tsync', 'acme', '-o', 'jsonpath={.status.lastRun.outcome} {.status.lastRun.records}']);
      expect(lastRun.stdout).toBe('Succeeded 3');
      const state = await kubectl(['-n', watched.name, 'get', 'configmap', names.stateConfigMap, '-o', 'jsonpath={.data.state\\.json}']);
      expect(stateSchema.parse(JSON.parse(state.stdout)).streams.tickets?.cursor).toEqual({ updatedAt: cursorTime, ids: ['41'] });
      const applied = await kubectl(['-n', watched.name, 'wait', 'job', jobName, `--for=jsonpath={.metadata.annotations.tenantsync\\.io/result-applied}=Succeeded`, `--timeout=${waitTimeout}`], {
        timeoutMs: 120_000,
      });
      expect(applied.code, applied.stderr).toBe(0);
    });

    it('was never refused by the API server', async () => {
      expect(refusals(operator!)).toEqual([]);
      // What a refusal looks like, so the check above can fail: the same ServiceAccount listing Secrets.
      const denied = await kubectl(['-n', watched.name, 'get', 'secrets', `--as=system:serviceaccount:${release.name}:${serviceAccount}`]);
      expect(denied.code).not.toBe(0);
      expect(refusals({ output: () => JSON.stringify({ msg: denied.stderr }) })).toHaveLength(1);
    });
  });
}
