// The operator process (started by main.ts): flags/env → logger, metrics, client → informers, controller,
// health server under one Manager (leader election on a Lease) → run until SIGTERM, then drain and exit 0.
import { getHeapStatistics } from 'node:v8';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubernetesObject, V1ConfigMap, V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import { apiVersion, kind, plural } from './api/tenantsync.js';
import { ConfigError, parseConfig, usage, type OperatorConfig } from './config.js';
import { TenantSyncController } from './controller/tenantsync-controller.js';
import { managedChildSelector, watchTenantSyncs } from './controller/watches.js';
import { KubeClient, loadKubeConfig } from './kube/client.js';
import { realClock } from './kube/clock.js';
import { EventRecorder } from './kube/events.js';
import { Controller } from './runtime/controller.js';
import { HealthServer } from './runtime/health-server.js';
import { Informer } from './runtime/informer.js';
import { createLogger, errorFields, type Logger } from './runtime/logger.js';
import { isNotLeading, Manager } from './runtime/manager.js';
import { withoutUnreadFields } from './runtime/cache-transform.js';
import { StringPool } from './runtime/string-pool.js';
import { countKubeRequests, countKubeWrites, createMetrics, dropTenantGauges, setInformerProblem } from './runtime/metrics.js';
import { managedBy } from './reconcile/labels.js';
import { shutdownSignal } from './runtime/signals.js';
import { watchShutdown } from './runtime/shutdown-watchdog.js';

const userAgent = 'tenantsync-operator/0.1.0';
/** How long a stopping leader waits for its queued Events to be written. */
const eventDrainMs = 5_000;

function readConfig(): OperatorConfig {
  try {
    return parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tenant-sync operator: ${err.message}\n\n${usage()}`);
      process.exit(2);
    }
    throw err;
  }
}

async function run(config: OperatorConfig, logger: Logger): Promise<number> {
  const metrics = createMetrics();
  const kubeConfig = loadKubeConfig(config.kubeconfig ? { kubeconfigPath: config.kubeconfig } : {});
  // One token bucket for every request of the operator (informers, reconciles, Events) ...
  const client = new KubeClient({
    kubeConfig,
    userAgent,
    qps: config.kubeApiQps,
    burst: config.kubeApiBurst,
    onWrite: countKubeWrites(metrics),
    onRequest: countKubeRequests(metrics),
    onWritten: (obj) => noteOwnWrite(obj),
  });
  client.registerResourceType({ apiVersion, kind, plural, namespaced: true });
  // ... but the Lease has its own (as client-go's leader election does): a busy controller must never
  // delay a renewal into losing leadership.
  const leaseClient = new KubeClient({ kubeConfig, userAgent, qps: config.kubeApiQps, burst: config.kubeApiBurst, onWrite: countKubeWrites(metrics), onRequest: countKubeRequests(metrics) });
  const identity = `${process.env.POD_NAME || hostname()}_${randomUUID().slice(0, 8)}`;

  const resyncPeriodMs = config.resyncPeriodSeconds > 0 ? config.resyncPeriodSeconds * 1000 : undefined;
  // Every cache keeps only what the operator reads, and one copy of each repeated string across all of them.
  // The caches are the leader's (as controller-runtime's): a standby lists nothing, holds nothing and takes no
  // CPU from the API server or its node; when it takes over it lists each kind once before its first pass.
  const strings = new StringPool();
  const common = {
    client,
    namespaces: config.namespaces,
    needLeaderElection: true,
    logger,
    transform: <T extends KubernetesObject>(obj: T) => strings.internAll(withoutUnreadFields(obj)),
    onScopeProblem: setInformerProblem(metrics),
  };
  const tenantSyncs = new Informer<KubernetesObject>({ ...common, apiVersion, plural, resyncPeriodMs });
  // Children are selected by label: the operator caches its own CronJobs, Jobs and ConfigMaps, not the cluster's.
  const cronJobs = new Informer<V1CronJob>({ ...common, apiVersion: 'batch/v1', plural: 'cronjobs', labelSelector: managedChildSelector });
  const jobs = new Informer<V1Job>({ ...common, apiVersion: 'batch/v1', plural: 'jobs', labelSelector: managedChildSelector });
  const configMaps = new Informer<V1ConfigMap>({ ...common, apiVersion: 'v1', plural: 'configmaps', labelSelector: managedChildSelector });
  // Pods of runs: their result finalizer is removed once their termination message is applied (stripped to that).
  const pods = new Informer<V1Pod>({ ...common, apiVersion: 'v1', plural: 'pods', labelSelector: managedChildSelector });
  // Read-your-writes: the ConfigMap a reconcile just wrote is what the next one reads, even before the watch delivers it.
  function noteOwnWrite(obj: KubernetesObject): void {
    if (obj.kind === 'ConfigMap' && obj.metadata?.labels?.['app.kubernetes.io/managed-by'] === managedBy) configMaps.noteWritten(obj as V1ConfigMap);
  }

  // The leader's writes: every request ends the moment leadership does (see Manager.leadershipSignal), and none is
  // sent once a shutdown that took too long has cut the requests off (see the watchdog below).
  // One signal per leadership, ending with it or with the cut-off: a request waiting (a Retry-After, a backoff, a
  // token) wakes at the cut-off too.
  const cutOff = new AbortController();
  let leadershipSeen: AbortSignal | undefined;
  let leaderSignal: AbortSignal = cutOff.signal;
  const leaderClient = client.withSignal(() => {
    const leadership = manager.leadershipSignal();
    if (leadership !== leadershipSeen) {
      leadershipSeen = leadership;
      leaderSignal = AbortSignal.any([leadership, cutOff.signal]);
    }
    return leaderSignal;
  });
  // Events get a token bucket of their own: a new tenant's first pass records one, and they must not slow the
  // rate at which tenants are reconciled (the Lease's bucket is apart for the same reason). For the same reason
  // they yield to a backlog: while tenants wait in the work queue, Events wait too (up to 2 minutes), so the API
  // server's time goes to the writes that make tenants Ready first.
  const recorder = new EventRecorder({
    client: leaderClient.withOwnRateLimit(),
    controller: 'tenantsync.io/operator',
    instance: identity,
    yieldWhile: () => controller.queue.depth > 0,
    // An Event still queued when leadership was lost is dropped quietly: the new leader tells its own.
    onError: (err) => isNotLeading(err) || logger.warn({ error: errorFields(err) }, 'could not record an Event'),
  });
  const caches = { tenantSyncs, cronJobs, jobs, configMaps, pods };
  const reconciler = new TenantSyncController({
    ...caches,
    client: leaderClient,
    recorder,
    clock: realClock,
    logger,
    metrics,
    defaultSyncImage: config.syncImage,
    syncPodDefaults: config.syncPod,
  });
  const controller = watchTenantSyncs(new Controller({ name: 'tenantsync-controller', reconciler, logger, metrics, workers: config.workers }), caches);

  const manager: Manager = new Manager({
    logger,
    metrics,
    // A standby's per-tenant gauges would keep alerts firing from data it no longer updates.
    onStoppedLeading: () => dropTenantGauges(metrics),
    leaderElection: config.leaderElect
      ? {
          client: leaseClient,
          namespace: config.leaseNamespace,
          name: config.leaseName,
          identity,
          leaseDurationSeconds: config.leaseDurationSeconds,
          renewDeadlineSeconds: config.renewDeadlineSeconds,
          retryPeriodSeconds: config.retryPeriodSeconds,
        }
      : undefined,
  });
  manager.add(tenantSyncs);
  manager.add(cronJobs);
  manager.add(jobs);
  manager.add(configMaps);
  manager.add(pods);
  // Events are written in the background: a leader that stops lets the queued ones out (at most 5 s) once the
  // controller has stopped, so the Events of its last passes go too, before the Lease is released.
  manager.add({
    name: controller.name,
    needLeaderElection: true,
    start: async (signal) => {
      try {
        await controller.start(signal);
      } finally {
        // After a lost Lease the queued writes fail at once (NOT_LEADER) and are dropped: the new leader tells its own.
        const lost = manager.leadershipSignal().aborted;
        const { queued, left } = await recorder.drain(eventDrainMs);
        if (lost) {
          if (queued > 0) logger.info({ queued }, `dropped ${queued} queued Events: leadership was lost`);
        } else if (left > 0) logger.warn({ queued, left }, `stopped with ${left} of ${queued} queued Events unwritten (waited ${eventDrainMs / 1000} s)`);
        else if (queued > 0) logger.info({ queued }, `sent the ${queued} queued Events before stopping`);
      }
    },
  });
  manager.add(new HealthServer({ address: config.healthAddress, registry: metrics.registry, readiness: () => manager.readiness(), logger }));

  const shutdown = shutdownSignal({ logger });
  // A shutdown that hangs (a request the API server does not answer) says what it waits for, and is cut short
  // in time for the Lease release, which has its own client.
  const watchdog = watchShutdown({
    signal: shutdown.signal,
    logger,
    describe: () => ({ runnables: manager.running(), requests: [...client.requestsUnderWay(), ...leaseClient.requestsUnderWay()] }),
    giveUp: () => {
      cutOff.abort(Object.assign(new Error('the operator is stopping and cut off its requests'), { code: 'SHUTTING_DOWN' }));
      void client.close(0);
    },
  });
  logger.info(
    {
      identity,
      namespaces: config.namespaces ?? 'all',
      leaderElect: config.leaderElect,
      lease: config.leaderElect ? `${config.leaseNamespace}/${config.leaseName}` : undefined,
      syncImage: config.syncImage,
      workers: config.workers,
      server: kubeConfig.getCurrentCluster()?.server,
      // Node sizes its heap from the container's memory limit (half of it, at least 256 MiB): too small a limit shows here.
      heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1048576),
    },
    'tenant-sync operator starting',
  );
  try {
    await manager.start(shutdown.signal);
    logger.info('stopped cleanly');
    return 0;
  } catch (err) {
    logger.fatal({ error: errorFields(err) }, 'operator stopped after a failure');
    return 1;
  } finally {
    watchdog.dispose();
    shutdown.dispose();
    // Everything has stopped, so nothing should be under way; what is gets closeWaitMs to finish, then is cut off.
    const underWay = [...client.requestsUnderWay(), ...leaseClient.requestsUnderWay()];
    if (underWay.length > 0) logger.warn({ requests: underWay }, `closing the API connections with ${underWay.length} requests under way`);
    await Promise.all([client.close(), leaseClient.close()]);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  if (config.help) {
    process.stdout.write(usage());
    return;
  }
  const logger = createLogger({ level: config.logLevel });
  // A bug must not take every tenant down with it: log what escaped and keep reconciling.
  process.on('unhandledRejection', (reason) => logger.error({ error: errorFields(reason) }, 'unhandled promise rejection'));
  let code: number;
  try {
    code = await run(config, logger);
  } catch (err) {
    logger.fatal({ error: errorFields(err) }, 'operator could not start');
    code = 1;
  }
  logger.flush(() => process.exit(code));
}

await main();
