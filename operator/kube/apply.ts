// Server-side apply under one field manager, for any kind: the way the operator writes children
// and status. Thin functions over KubeClient so callers read as "apply this", nothing more.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeObject, type ObjectRef } from './client.js';

export type { KubeObject, ObjectRef } from './client.js';

export interface ApplyOptions {
  /** One name per operator; SSA tracks field ownership by it. */
  fieldManager: string;
  /** Take over conflicting fields from other managers (default true: the controller owns what it declares). */
  force?: boolean;
  subresource?: 'status';
  signal?: AbortSignal;
}

const asClient = (target: KubeClient | KubeConfig): KubeClient =>
  target instanceof KubeClient ? target : new KubeClient({ kubeConfig: target });

/**
 * Applies `obj` (PATCH application/apply-patch+yaml, force by default) and returns the object as
 * stored. Applying the same object twice changes nothing (same resourceVersion). Pass a KubeClient
 * so the write is counted; a bare KubeConfig works but its writes go uncounted.
 */
export async function serverSideApply<T extends KubeObject>(
  target: KubeClient | KubeConfig,
  obj: T,
  opts: ApplyOptions,
): Promise<T> {
  return asClient(target).apply(obj, opts);
}

/**
 * Applies only `status` of an object through the status subresource. `obj` carries apiVersion,
 * kind, metadata.name/namespace and the status fields this manager owns (omitted fields it owned
 * before are removed — send the whole status you mean).
 */
export async function applyStatus<T extends KubeObject>(
  target: KubeClient | KubeConfig,
  obj: T,
  opts: Omit<ApplyOptions, 'subresource'>,
): Promise<T> {
  return asClient(target).apply(obj, { ...opts, subresource: 'status' });
}

/** JSON-merge-patches the status subresource (for callers that do not own the whole status). */
export async function mergePatchStatus<T extends KubeObject>(
  target: KubeClient | KubeConfig,
  ref: ObjectRef,
  status: unknown,
  opts: { fieldManager?: string; signal?: AbortSignal } = {},
): Promise<T> {
  return asClient(target).mergePatch<T>(ref, { status }, { ...opts, subresource: 'status' });
}

/** The identity part of an object, for get/delete. */
export const refOf = (obj: KubeObject): ObjectRef => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  namespace: obj.metadata.namespace,
  name: obj.metadata.name,
});
