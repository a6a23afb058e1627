// Watches the bench's TenantSyncs and tells when they are Ready for their current generation
// (status.observedGeneration = metadata.generation and condition Ready True): all N, or one after a change.
import { apiVersion } from '../../operator/api/tenantsync.js';
import type { KubeClient } from '../../operator/kube/client.js';
import { isReadyNow, type StoredTenantSync } from '../../test/integration/operator-helpers.js';
import { benchNamespace } from './tenants.js';

export interface ReadyWatch {
  /** Resolves with performance.now() of the event that made `count` TenantSyncs Ready. */
  allReady(count: number): Promise<number>;
  /** Resolves with performance.now() when `name` is Ready at `generation` or later. */
  readyAt(name: string, generation: number): Promise<number>;
  stop(): void;
}

export function watchReady(client: KubeClient): ReadyWatch {
  const ready = new Map<string, number>(); // name → generation it is Ready at
  let waiters: { done: () => boolean; resolve: (t: number) => void }[] = [];
  const abort = new AbortController();
  const path = `/apis/${apiVersion}/namespaces/${benchNamespace}/tenantsyncs`;
  const note = (ts: StoredTenantSync, deleted: boolean) => {
    if (!deleted && isReadyNow(ts)) ready.set(ts.metadata.name, ts.metadata.generation);
    else ready.delete(ts.metadata.name);
    const now = performance.now();
    waiters = waiters.filter((w) => (w.done() ? (w.resolve(now), false) : true));
  };
  const failed = (async () => {
    let resourceVersion: string | undefined;
    while (!abort.signal.aborted) {
      if (resourceVersion === undefined) {
        const list = await client.listPath<StoredTenantSync>(path, { all: true });
        for (const item of list.items) note(item, false);
        resourceVersion = list.metadata?.resourceVersion;
      }
      try {
        for await (const event of client.watch<StoredTenantSync>(path, { resourceVersion, timeoutSeconds: 600, signal: abort.signal })) {
          if (event.type === 'BOOKMARK') {
            resourceVersion = (event.object as StoredTenantSync).metadata?.resourceVersion ?? resourceVersion;
            continue;
          }
          resourceVersion = event.object.metadata.resourceVersion;
          note(event.object, event.type === 'DELETED');
        }
      } catch {
        resourceVersion = undefined; // gone or broken: list again
      }
    }
  })();
  failed.catch((error: unknown) => {
    if (!abort.signal.aborted) console.error('[operator-scale] ready watch failed:', error);
  });
  const wait = (done: () => boolean) =>
    new Promise<number>((resolve) => {
      if (done()) resolve(performance.now());
      else waiters.push({ done, resolve });
    });
  return {
    allReady: (count) => wait(() => ready.size >= count),
    readyAt: (name, generation) => wait(() => (ready.get(name) ?? -1) >= generation),
    stop: () => abort.abort(),
  };
}
