// Writes a child only when it differs from what is live: server-side apply under the operator's
// field manager, skipped when the live object already holds every desired field and carries the hash of
// the desired object last applied (an idle pass writes nothing; a field removed from the spec is applied away);
// an object not known to exist is created by a create-only apply instead of being read first.
import type { KubeObject, KubeWriter } from '../kube/client.js';
import { differingPaths } from '../reconcile/compare.js';
import { hexHash } from '../reconcile/hash.js';
import { appliedHashAnnotation, fieldManager } from '../reconcile/labels.js';
import { canonicalJson } from '../../sync-job/canonical-json.js';

export type ApplyClient = Pick<KubeWriter, 'apply'>;

/**
 * The resourceVersion precondition of an apply that must only create: an absent object is created (as an
 * apply, so its fields are the operator's to remove later), an existing one fails with 409 Conflict since no
 * stored object has this version (etcd's first revision, taken before any object of ours can exist).
 */
export const createOnlyResourceVersion = '1';

export interface EnsureResult<T> {
  readonly action: 'created' | 'updated' | 'unchanged';
  /** The object as stored after this step (the live one when unchanged). */
  readonly object: T;
  /** Fields that differed (for the Event message); empty for created/unchanged. */
  readonly changed: readonly string[];
}

interface Remembered {
  /** The hash of the desired object's canonical JSON (kept instead of the JSON: thousands of children). */
  readonly fingerprint: string;
  readonly resourceVersionBefore: string | undefined;
  readonly resourceVersionAfter: string | undefined;
}

/**
 * Remembers what it last applied per object so a lagging informer cache (still showing the version
 * from before our apply) or a field the API server normalises (e.g. a quantity) never causes a
 * second, identical write.
 */
export class ChildApplier {
  private readonly memory = new Map<string, Remembered>();

  constructor(private readonly client: ApplyClient) {}

  async ensure<T extends KubeObject>(desired: T, live: T | undefined, signal?: AbortSignal): Promise<EnsureResult<T>> {
    const id = idOf(desired);
    const fingerprint = canonicalJson(desired);
    // "desired ⊆ live" cannot see a field the spec no longer sets (a removed timeZone or nodeSelector stays
    // live): the hash of the whole desired object, stamped on the child, changes when anything is removed.
    const hash = hexHash(fingerprint, 16);
    const stamped = { ...desired, metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [appliedHashAnnotation]: hash } } };
    let changed: string[] = [];
    if (live !== undefined) {
      const remembered = this.memory.get(id);
      const liveVersion = live.metadata.resourceVersion;
      if (
        remembered?.fingerprint === hash &&
        liveVersion !== undefined &&
        (liveVersion === remembered.resourceVersionAfter || liveVersion === remembered.resourceVersionBefore)
      ) {
        return { action: 'unchanged', object: live, changed: [] };
      }
      changed = differingPaths(desired, live);
      const sameDesired = (live.metadata.annotations as Record<string, string> | undefined)?.[appliedHashAnnotation] === hash;
      if (changed.length === 0 && sameDesired) return { action: 'unchanged', object: live, changed: [] };
      if (changed.length === 0) changed = ['fields the spec no longer sets'];
    }
    // No live object known: a create-only apply, so a stranger's object of the same name is never changed
    // (the API server answers 409; the caller reads it and checks whose it is).
    const sent = live === undefined ? { ...stamped, metadata: { ...stamped.metadata, resourceVersion: createOnlyResourceVersion } } : stamped;
    const applied = await this.client.apply(sent, { fieldManager, force: true, ...(signal ? { signal } : {}) });
    this.memory.set(id, {
      fingerprint: hash,
      resourceVersionBefore: live?.metadata.resourceVersion,
      resourceVersionAfter: applied.metadata.resourceVersion,
    });
    return { action: live === undefined ? 'created' : 'updated', object: applied, changed };
  }

  /** Drops what is remembered about the named children in `namespace` (their owner is gone). */
  forget(namespace: string, names: readonly string[]): void {
    for (const id of [...this.memory.keys()]) {
      if (names.some((n) => id.endsWith(`/${namespace}/${n}`))) this.memory.delete(id);
    }
  }
}

const idOf = (obj: KubeObject): string => `${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
