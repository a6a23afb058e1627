// `npm run local`: tenant-sync on this machine in one command. Starts a control plane (etcd, kube-apiserver,
// kube-controller-manager), the test kubelet, the operator, Freshdesk fakes and a sink receiver; applies two
// example tenants, runs them once, shows progress, prints how to use the cluster, and stops it all on Ctrl-C.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { apiVersion, kind, plural, runRequestedAtAnnotation, type TenantSyncStatus } from '../../operator/api/tenantsync.js';
import { KubeClient } from '../../operator/kube/client.js';
import { manualJobName } from '../../operator/reconcile/names.js';
import { startControlPlane, type ControlPlane } from '../controlplane/control-plane.js';
import { installCrds } from '../controlplane/crds.js';
import { runKubectl } from '../controlplane/kubectl.js';
import { waitForNoLeftovers } from '../support/leftover-processes.js';
import { startSystem, type System } from '../support/system.js';
import { demoNamespace, demoTenants, type DemoTenant } from './demo-tenants.js';
import { jobPhase, progressLine, ProgressPrinter, runState, type TenantView } from './progress.js';

const usage = `Usage: npm run local [-- --once] [--timeout <seconds>] [--work-dir <dir>]

Starts a local control plane with kube-controller-manager, the test kubelet (sync pods run as local
processes), the operator (from source), a Freshdesk fake per tenant with demo data and a sink receiver;
applies two tenants from examples/ in namespace ${demoNamespace}, runs them once and shows their progress.
Then prints how to use the cluster and keeps running until Ctrl-C, which stops everything.

  --once               exit 0 as soon as the first runs succeeded (env TENANTSYNC_LOCAL_ONCE=1)
  --timeout <seconds>  give up (exit 1) when the first runs have not succeeded by then (default 300)
  --work-dir <dir>     logs, sink data and pod directories (default: a new directory under ${tmpdir()})
  -h, --help           this text
`;

const say = (line: string) => process.stdout.write(`[local] ${line}\n`);
const pollMs = 1_000;
const defaultTimeoutSeconds = 300;
/** A second Ctrl-C at least this long after the first exits without waiting for the clean stop. */
const forceStopAfterMs = 2_000;
/** After the first runs, new run results are reported this often. */
const reportRunsEveryMs = 2_000;

class LocalError extends Error {}

interface Options {
  once: boolean;
  timeoutSeconds: number;
  workDir: string | undefined;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return undefined;
  }
  const timeoutText = values.timeout ?? String(defaultTimeoutSeconds);
  const timeoutSeconds = Number(timeoutText);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new LocalError(`--timeout must be a whole number of seconds (at least 1), not ${JSON.stringify(timeoutText)}`);
  const onceEnv = process.env.TENANTSYNC_LOCAL_ONCE;
  return { once: values.once || onceEnv === '1' || onceEnv === 'true', timeoutSeconds, workDir: values['work-dir'] };
}

/** Everything started so far; stop() ends it in reverse order and checks that no process is left. */
class Running {
  controlPlane: ControlPlane | undefined;
  system: System | undefined;
  client: KubeClient | undefined;
  workDir = '';
  private readonly pids = new Set<number>();
  private stopping: Promise<boolean> | undefined;

  remember(pids: number[]): void {
    pids.forEach((pid) => this.pids.add(pid));
  }

  /** Resolves true when every process is gone. */
  stop(): Promise<boolean> {
    this.stopping ??= (async () => {
      say('stopping: operator, kubelet and its sync processes, fakes, control plane …');
      if (this.system) this.remember(this.system.pids());
      await this.client?.close().catch(() => undefined);
      await this.system?.stop().catch((error: unknown) => say(`while stopping: ${String(error)}`));
      const markers = [this.workDir, this.controlPlane?.dir ?? ''].filter(Boolean);
      this.controlPlane?.processes.forEach((p) => this.pids.add(p.pid));
      await this.controlPlane?.stop().catch((error: unknown) => say(`while stopping the control plane: ${String(error)}`));
      const left = await waitForNoLeftovers(markers, [...this.pids]);
      if (left.length > 0) {
        say(`WARNING: ${left.length} process(es) still running: ${left.map((p) => `${p.pid} ${p.args}`).join('; ')}`);
        return false;
      }
      say(`stopped; no process left (checked pids ${[...this.pids].join(', ')} and every process mentioning ${markers.join(' or ')})`);
      if (this.workDir) say(`logs and sink data kept in ${this.workDir}`);
      return true;
    })();
    return this.stopping;
  }
}

interface StoredTenantSync {
  metadata: { name: string };
  status?: TenantSyncStatus;
}

async function readView(client: KubeClient, system: System, tenant: DemoTenant, jobName: string): Promise<TenantView> {
  const [ts, job] = await Promise.all([
    client.get<StoredTenantSync>({ apiVersion, kind, namespace: demoNamespace, name: tenant.name }),
    client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: demoNamespace, name: jobName }),
  ]);
  return { name: tenant.name, job, jobName, status: ts?.status, sinkRecords: system.sink.records(tenant.tenantId).length };
}

async function kubectlOrFail(running: Running, args: string[], input?: string): Promise<string> {
  const cp = running.controlPlane!;
  const result = await runKubectl(cp.kubectlPath, cp.kubeconfigPath, args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new LocalError(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

async function waitForServiceAccount(core: CoreV1Api, namespace: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true, () => false);
    if (found) return;
    if (Date.now() > deadline) throw new LocalError(`ServiceAccount ${namespace}/default did not appear within 60 s (is kube-controller-manager running?)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function instructions(running: Running, tenants: DemoTenant[], requestValue: string): string {
  const cp = running.controlPlane!;
  const system = running.system!;
  const [first] = tenants;
  const accounts = Object.entries(system.accounts).map(([name, fake]) => `${name} ${fake.baseUrl} (API key ${fake.apiKey})`);
  return [
    '',
    'The cluster keeps running. Use it from another terminal:',
    '',
    `  export KUBECONFIG=${cp.kubeconfigPath}`,
    `  alias kubectl=${cp.kubectlPath}    # kubectl ${cp.version}, built with the control plane (any recent kubectl works)`,
    `  kubectl get tsync -n ${demoNamespace}`,
    `  kubectl describe tsync -n ${demoNamespace} ${first?.name ?? ''}`,
    `  kubectl get cronjobs,jobs,pods,configmaps -n ${demoNamespace}`,
    `  kubectl get events -n ${demoNamespace} --field-selector involvedObject.kind=TenantSync`,
    '',
    `Run a tenant now (any annotation value not used before; this run used ${requestValue}):`,
    `  kubectl annotate tsync -n ${demoNamespace} ${first?.name ?? ''} ${runRequestedAtAnnotation}=again-1 --overwrite`,
    '',
    `Sink receiver: POST ${system.sink.url}; every accepted batch is appended to`,
    `  ${system.files.sinkDeliveries}`,
    `Freshdesk fakes: ${accounts.join(', ')}`,
    `Logs: operator ${system.files.operatorLog}`,
    `      kubelet ${system.files.kubeletLog}; sync pods ${system.files.podsDir}/<namespace>_<pod>_<uid>/containers/sync/`,
    `      control plane ${join(cp.dir, 'logs')}`,
    '',
    'Press Ctrl-C to stop everything.',
  ].join('\n');
}

async function run(options: Options, running: Running): Promise<void> {
  running.workDir = resolve(options.workDir ?? mkdtempSync(join(tmpdir(), 'tenant-sync-local-')));
  say(`work directory ${running.workDir}`);
  say('starting the control plane (etcd, kube-apiserver, kube-controller-manager) …');
  const cp = await startControlPlane({ lifetime: 'owned', progress: process.stderr });
  running.controlPlane = cp;
  running.remember(cp.processes.map((p) => p.pid));
  say(`Kubernetes ${cp.version} at ${cp.server}, ready in ${(cp.startupMs / 1000).toFixed(1)} s`);
  const crds = await installCrds(cp.kubectlPath, cp.kubeconfigPath);
  if (crds.length === 0) throw new LocalError('crds/ holds no CRD (run npm run generate)');
  say(`installed ${crds.map((name) => name.split('/').at(-1)).join(', ')}`);

  say('starting the Freshdesk fakes, the sink receiver, the test kubelet and the operator …');
  const system = await startSystem({
    kubeconfigPath: cp.kubeconfigPath,
    workDir: running.workDir,
    accounts: { acme: { apiKey: 'acme-local-key' }, globex: { apiKey: 'globex-local-key' } },
    operator: { logLevel: 'info' },
  });
  running.system = system;
  running.remember(system.pids());
  say(`operator pid ${system.operator.pid} ready at ${system.operator.url}; kubelet node ${system.kubelet.nodeName}`);

  const client = new KubeClient({ kubeConfig: system.kubeConfig, userAgent: 'tenant-sync-local' });
  client.registerResourceType({ apiVersion, kind, plural, namespaced: true });
  running.client = client;
  const core = system.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: demoNamespace } } });
  await waitForServiceAccount(core, demoNamespace);

  const tenants = demoTenants(
    {
      basic: { freshdeskUrl: system.accounts.acme!.baseUrl, apiKey: system.accounts.acme!.apiKey },
      streams: { freshdeskUrl: system.accounts.globex!.baseUrl, apiKey: system.accounts.globex!.apiKey },
    },
    system.sink.url,
  );
  const manifests = { apiVersion: 'v1', kind: 'List', items: tenants.flatMap((t) => [t.secret, t.tenantSync]) };
  const applied = await kubectlOrFail(running, ['apply', '-f', '-'], JSON.stringify(manifests));
  say(`applied (from ${tenants.map((t) => t.example).join(', ')}):\n${applied.trimEnd().replace(/^/gm, '        ')}`);

  // A run request already set when the operator first sees a TenantSync is taken as inherited (re-created
  // from Git), not run: ask only once the operator has observed each one.
  for (const tenant of tenants) {
    const seenDeadline = Date.now() + 120_000;
    for (;;) {
      const ts = await client.get<{ status?: TenantSyncStatus }>({ apiVersion, kind, namespace: demoNamespace, name: tenant.name });
      if (ts?.status?.observedGeneration !== undefined) break;
      if (Date.now() > seenDeadline) throw new Error(`the operator did not pick up TenantSync ${demoNamespace}/${tenant.name} within 120 s (see its log)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const requestValue = new Date().toISOString();
  for (const tenant of tenants) {
    await kubectlOrFail(running, ['annotate', 'tsync', '-n', demoNamespace, tenant.name, `${runRequestedAtAnnotation}=${requestValue}`, '--overwrite']);
  }
  say(`requested a run of ${tenants.map((t) => t.name).join(' and ')} (${runRequestedAtAnnotation}=${requestValue}); waiting for the first runs …`);

  const jobNames = new Map(tenants.map((t) => [t.name, manualJobName(t.name, requestValue)]));
  const nameWidth = Math.max(...tenants.map((t) => t.name.length));
  const printer = new ProgressPrinter(process.stdout);
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let views: TenantView[];
  for (;;) {
    views = await Promise.all(tenants.map((t) => readView(client, system, t, jobNames.get(t.name)!)));
    printer.update(views.map((view) => progressLine(view, nameWidth)));
    const failed = views.filter((view) => runState(view) === 'failed');
    if (failed.length > 0) {
      throw new LocalError(
        `the first run of ${failed.map((v) => `${v.name} failed: ${v.status?.lastRun?.message ?? 'no message'}`).join('; ')}\n` +
          `see the sync pods' logs under ${system.files.podsDir} and the operator log ${system.files.operatorLog}`,
      );
    }
    if (views.every((view) => runState(view) === 'succeeded')) break;
    if (Date.now() > deadline) {
      const waiting = views.filter((view) => runState(view) !== 'succeeded').map((view) => {
        const phase = jobPhase(view.job);
        if (view.job === undefined) return `${view.name}: no Job ${view.jobName} yet`;
        if (phase === 'Complete' || phase === 'Failed') return `${view.name}: Job ${view.jobName} ${phase} but the operator has not recorded its result in status.lastRun`;
        return `${view.name}: Job ${view.jobName} still ${phase}`;
      });
      throw new LocalError(
        `the first runs did not succeed within ${options.timeoutSeconds} s (${waiting.join('; ')}).\n` +
          `Look at the operator log ${system.files.operatorLog}, the kubelet log ${system.files.kubeletLog} and the pods under ${system.files.podsDir}`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  say(`first runs succeeded: ${views.map((v) => `${v.name} ${v.status?.lastRun?.records ?? 0} records`).join(', ')}`);
  say(`kubectl get tsync -A:`);
  process.stdout.write(await kubectlOrFail(running, ['get', 'tsync', '-A']));
  say(`kubeconfig: ${cp.kubeconfigPath}`);
  if (options.once) return;
  process.stdout.write(`${instructions(running, tenants, requestValue)}\n`);
  await reportRuns(client, tenants, new Map(views.map((v) => [v.name, v.status?.lastRun?.jobName]))); // until a signal
}

/** Until a signal: one line per run result the operator records (a run requested from another terminal, a scheduled run). */
async function reportRuns(client: KubeClient, tenants: DemoTenant[], seen: Map<string, string | undefined>): Promise<never> {
  for (;;) {
    await new Promise((r) => setTimeout(r, reportRunsEveryMs));
    for (const tenant of tenants) {
      const ts = await client.get<StoredTenantSync>({ apiVersion, kind, namespace: demoNamespace, name: tenant.name }).catch(() => undefined);
      const lastRun = ts?.status?.lastRun;
      if (lastRun === undefined || seen.get(tenant.name) === lastRun.jobName) continue;
      seen.set(tenant.name, lastRun.jobName);
      say(`${tenant.name}: run ${lastRun.jobName} (${lastRun.trigger}) ${lastRun.outcome}, ${lastRun.records ?? 0} records${lastRun.message ? ` — ${lastRun.message}` : ''}`);
    }
  }
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`[local] ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (options === undefined) return 0;
  const running = new Running();
  let signalled = false;
  let firstSignalAtMs = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // Ctrl-C reaches this process twice (from the terminal, and relayed by the tsx wrapper): only a
      // later press means "do not wait for a clean stop".
      if (Date.now() - firstSignalAtMs < forceStopAfterMs) return;
      say(`${signal} again: exiting now (the control plane is killed on exit)`);
      process.exit(130);
    }
    signalled = true;
    firstSignalAtMs = Date.now();
    process.stdout.write('\n');
    say(`${signal}: stopping everything`);
    void running.stop().then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await run(options, running);
    return (await running.stop()) ? 0 : 1;
  } catch (error) {
    if (signalled) return new Promise<number>(() => undefined); // the signal handler exits
    process.stderr.write(`[local] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof LocalError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    await running.stop();
    return 1;
  }
}

main().then((code) => process.exit(code));
