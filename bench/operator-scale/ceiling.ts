// The ceiling: no controller, no cache, no reads — for each TenantSync as soon as it exists, exactly the
// writes the operator must make (server-side apply of the config ConfigMap and the CronJob, create of the
// state ConfigMap, one status patch) through the operator's own KubeClient and token bucket, `workers` tenants at once.
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import type { KubeClient } from '../../operator/kube/client.js';
import { fieldManager } from '../../operator/reconcile/labels.js';
import type { StoredTenantSync } from '../../test/integration/operator-helpers.js';
import { childrenOf, readyStatus } from './tenants.js';
import type { tenantSyncManifest } from '../../test/integration/operator-helpers.js';

type Manifest = ReturnType<typeof tenantSyncManifest>;

/** Feeds created TenantSyncs to `workers` loops; `done()` resolves when every one fed was written. */
export function ceilingWriter(client: KubeClient, workers: number) {
  const queue: { manifest: Manifest; created: StoredTenantSync }[] = [];
  let closed = false;
  let sleeping: (() => void)[] = [];
  const wakeAll = () => {
    const woken = sleeping;
    sleeping = [];
    woken.forEach((wake) => wake());
  };
  const next = async () => {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined || closed) return item;
      await new Promise<void>((resolve) => sleeping.push(resolve));
    }
  };
  const loop = async () => {
    for (let item = await next(); item !== undefined; item = await next()) {
      const [config, state, cronJob] = childrenOf(item.manifest, item.created.metadata.uid);
      await client.apply(config!, { fieldManager, force: true });
      await client.create(state!, { fieldManager });
      await client.apply(cronJob!, { fieldManager, force: true });
      await client.patchStatus(
        { apiVersion, kind, namespace: item.created.metadata.namespace, name: item.created.metadata.name },
        { status: readyStatus(item.created.metadata.generation, new Date()) },
        { fieldManager },
      );
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    add(manifest: Manifest, created: StoredTenantSync) {
      queue.push({ manifest, created });
      wakeAll();
    },
    async done() {
      closed = true;
      wakeAll();
      await Promise.all(loops);
    },
  };
}
