// List-then-watch of every pod in the cluster, restarting the watch from the last resourceVersion
// and relisting when it has expired (410): the kubelet sees every change, level-based.
import { Watch, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { describeError } from './api-errors.js';

export interface PodEvents {
  /** A pod was added or changed. */
  upsert(pod: V1Pod): void;
  /** A pod is gone from the API. */
  remove(pod: V1Pod): void;
  /** A full list: every pod known before and missing from it is gone. */
  relisted(pods: V1Pod[]): void;
}

const rewatchDelayMs = 1_000;
const watchTimeoutSeconds = 300;

function isInactivityTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

export interface PodWatch {
  /** Resolves after the first list has been delivered. */
  synced: Promise<void>;
  stop(): void;
}

export function watchPods(options: { kubeConfig: KubeConfig; core: CoreV1Api; events: PodEvents; log: (message: string) => void }): PodWatch {
  const { core, events, log } = options;
  const watch = new Watch(options.kubeConfig);
  let stopped = false;
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resourceVersion: string | undefined;
  let resolveSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (resolveSynced = resolve));

  const later = (fn: () => void) => {
    if (!stopped) timer = setTimeout(fn, rewatchDelayMs);
  };

  const list = async (): Promise<void> => {
    if (stopped) return;
    try {
      const answer = await core.listPodForAllNamespaces({});
      resourceVersion = answer.metadata?.resourceVersion;
      events.relisted(answer.items);
      resolveSynced();
      await startWatch();
    } catch (error) {
      log(`listing pods failed (${describeError(error)}); retrying`);
      later(() => void list());
    }
  };

  const startWatch = async (): Promise<void> => {
    if (stopped) return;
    let expired = false;
    abort = await watch.watch(
      '/api/v1/pods',
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds },
      (type, object: V1Pod & { code?: number }) => {
        if (type === 'ERROR') {
          expired = object.code === 410;
          if (!expired) log(`pod watch error: ${JSON.stringify(object)}`);
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED') events.upsert(object);
        else if (type === 'DELETED') events.remove(object);
      },
      (error: unknown) => {
        if (stopped) return;
        if (expired || (error as { statusCode?: number } | null)?.statusCode === 410) later(() => void list());
        else if (error === null || isInactivityTimeout(error)) {
          // A quiet watch: client-node ends it after 30 s without data. Resume at once.
          void startWatch().catch(() => later(() => void list()));
        } else {
          log(`pod watch ended (${describeError(error)}); resuming`);
          later(() => void startWatch().catch(() => later(() => void list())));
        }
      },
    );
  };

  void list();
  return {
    synced,
    stop() {
      stopped = true;
      clearTimeout(timer);
      abort?.abort();
    },
  };
}
