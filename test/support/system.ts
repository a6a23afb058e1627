// A running tenant-sync around a given cluster: the test kubelet (sync pods as local processes, the sync
// job from source), Freshdesk fake accounts with demo data, a sink receiver and the operator process.
// Used by `npm run local` and the end-to-end tests; stop() ends every process it started.
//
//   const system = await startSystem({ kubeconfigPath, workDir, namespaces: [ns] });
//   // TenantSync: source.baseUrl = system.freshdesk.baseUrl, Secret apiKey = system.freshdesk.apiKey,
//   //             sink.url = system.sink.url (loopback http passes the CRD's URL rule)
//   await system.killOperator('SIGKILL'); await system.startOperator();
//   await system.stop();
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startFreshdeskFake, type DemoOptions, type DemoSummary, type FreshdeskFake } from '../fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../fakes/sink/index.js';
import { startTestKubelet, type TestKubelet } from '../kubelet/kubelet.js';
import { startOperator, type ExitStatus, type OperatorProcess, type StartOperatorOptions } from './operator-process.js';

/** The image operator-process.ts passes as --sync-image; the kubelet runs the sync job for it. */
export const operatorTestSyncImage = 'tenant-sync/sync-job:test';

export interface FreshdeskAccountOptions {
  /** The API key the tenant's Secret must hold. */
  apiKey: string;
  /** Seed the demo help desk (default: yes, with the demo's default sizes); false for an empty account. */
  demo?: DemoOptions | false;
  /** Account-wide credits per minute (default: the fake's 400). */
  rateLimitPerMinute?: number;
}

export interface StartSystemOptions {
  kubeconfigPath: string;
  /** Kubelet pod directories and the log files go here. */
  workDir: string;
  /** Scope of the kubelet and the operator (default: all namespaces). */
  namespaces?: string[];
  /** Node name of the kubelet (default `test-kubelet`); test files sharing a cluster need their own. */
  nodeName?: string;
  /** Freshdesk accounts by name (default: one account `default`, key `test-api-key`, demo data). */
  accounts?: Record<string, FreshdeskAccountOptions>;
  /** Bearer token the sink receiver requires (default: none). */
  sinkToken?: string;
  /** Operator flags and environment (the kubeconfig, namespaces and sync image are set here). */
  operator?: Omit<StartOperatorOptions, 'kubeconfig' | 'namespaces'>;
  /** Keep pod directories after their pods are deleted (default false). */
  keepPodDirs?: boolean;
}

export interface SystemFiles {
  /** The kubelet's decisions, one line each. */
  kubeletLog: string;
  /** The operator's JSON log (all runs of it, appended). */
  operatorLog: string;
  /** One JSON line per batch the sink receiver accepted: {receivedAt, tenantId, stream, batchId, records}. */
  sinkDeliveries: string;
  /** `pods/<namespace>_<name>_<uid>/containers/<container>/<restart>.log` are the sync jobs' logs. */
  podsDir: string;
}

export interface System {
  readonly kubeConfig: KubeConfig;
  readonly kubelet: TestKubelet;
  /** The first account (`default` unless `accounts` named others). */
  readonly freshdesk: FreshdeskFake;
  readonly accounts: Readonly<Record<string, FreshdeskFake>>;
  /** What seedDemo added, per account that has demo data. */
  readonly demo: Readonly<Record<string, DemoSummary>>;
  readonly sink: SinkReceiver;
  readonly files: SystemFiles;
  /** The operator process now running; throws when it is stopped. */
  readonly operator: OperatorProcess;
  /** Starts the operator again (after killOperator); waits for /readyz. */
  startOperator(): Promise<OperatorProcess>;
  /** Signals the operator (default SIGTERM) and waits for its exit. */
  killOperator(signal?: NodeJS.Signals): Promise<ExitStatus>;
  /** Pids of the processes this system runs now (the operator; sync job processes are the kubelet's). */
  pids(): number[];
  /** Stops the operator, the kubelet (killing its processes) and the fakes. Idempotent. */
  stop(): Promise<void>;
}

const operatorLogFlushMs = 500;

export async function startSystem(options: StartSystemOptions): Promise<System> {
  const workDir = resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const files: SystemFiles = {
    kubeletLog: join(workDir, 'kubelet.log'),
    operatorLog: join(workDir, 'operator.log'),
    sinkDeliveries: join(workDir, 'sink-deliveries.jsonl'),
    podsDir: join(workDir, 'pods'),
  };
  writeFileSync(files.sinkDeliveries, '');
  writeFileSync(files.operatorLog, '');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(options.kubeconfigPath);

  // Everything started so far, stopped in reverse order when a later step fails.
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, `stopping the system: ${errors.map(String).join('; ')}`);
  };

  try {
    const accounts: Record<string, FreshdeskFake> = {};
    const demo: Record<string, DemoSummary> = {};
    for (const [name, account] of Object.entries(options.accounts ?? { default: { apiKey: 'test-api-key' } })) {
      const fake = await startFreshdeskFake({ apiKey: account.apiKey, ...(account.rateLimitPerMinute ? { rateLimitPerMinute: account.rateLimitPerMinute } : {}) });
      stops.push(() => fake.close());
      accounts[name] = fake;
      if (account.demo !== false) demo[name] = fake.seedDemo(account.demo ?? {});
    }
    const freshdesk = Object.values(accounts)[0];
    if (freshdesk === undefined) throw new Error('startSystem: accounts must name at least one Freshdesk account');

    const sink = await startSinkReceiver(options.sinkToken === undefined ? {} : { token: options.sinkToken });
    stops.push(() => sink.close());
    sink.onAttempt((attempt) => {
      if (attempt.outcome !== 'accepted') return;
      const delivery = sink.deliveries.find((d) => d.idempotencyKey === attempt.idempotencyKey);
      if (delivery === undefined) return;
      appendFileSync(files.sinkDeliveries, `${JSON.stringify({ receivedAt: delivery.receivedAt.toISOString(), ...delivery.body })}\n`);
    });

    const kubelet = await startTestKubelet({
      kubeConfig,
      workDir,
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      syncImages: [operatorTestSyncImage],
      // The sync job from source through tsx: no build step, never a stale dist/.
      syncJobFrom: 'source',
      keepPodDirs: options.keepPodDirs ?? false,
    });
    stops.push(() => kubelet.stop());

    const operatorOptions: StartOperatorOptions = {
      ...options.operator,
      kubeconfig: options.kubeconfigPath,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    };
    let operator: OperatorProcess | undefined;
    let flushed = 0;
    const flushOperatorLog = () => {
      if (operator === undefined) return;
      const output = operator.output();
      if (output.length > flushed) appendFileSync(files.operatorLog, output.slice(flushed));
      flushed = output.length;
    };
    const logFlusher = setInterval(flushOperatorLog, operatorLogFlushMs);
    logFlusher.unref();
    const launch = async () => {
      flushOperatorLog();
      flushed = 0;
      operator = undefined;
      operator = await startOperator(operatorOptions);
      appendFileSync(files.operatorLog, `# operator pid ${operator.pid} started ${new Date().toISOString()}\n`);
      return operator;
    };
    const halt = async (signal: NodeJS.Signals): Promise<ExitStatus> => {
      const running = operator;
      if (running === undefined) return { code: null, signal: null };
      const status = signal === 'SIGTERM' ? await running.stop() : await running.kill(signal);
      flushOperatorLog();
      appendFileSync(files.operatorLog, `# operator pid ${running.pid} exited (code ${status.code}, signal ${status.signal})\n`);
      operator = undefined;
      return status;
    };
    // A crash of this process must not leave the operator behind.
    const killOnExit = () => {
      if (operator !== undefined) {
        try {
          process.kill(operator.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    process.on('exit', killOnExit);
    stops.push(async () => {
      clearInterval(logFlusher);
      await halt('SIGTERM');
      process.off('exit', killOnExit);
    });
    await launch();

    let stopping: Promise<void> | undefined;
    return {
      kubeConfig,
      kubelet,
      freshdesk,
      accounts,
      demo,
      sink,
      files,
      get operator(): OperatorProcess {
        if (operator === undefined) throw new Error('the operator is not running (startOperator() starts it again)');
        return operator;
      },
      async startOperator() {
        if (operator !== undefined) throw new Error(`the operator already runs (pid ${operator.pid})`);
        return launch();
      },
      killOperator: (signal = 'SIGTERM') => halt(signal),
      pids: () => (operator === undefined ? [] : [operator.pid]),
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
