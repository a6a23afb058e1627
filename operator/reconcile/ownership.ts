// Whose is an existing child? A TenantSync takes over only objects it controls or orphans that carry
// the operator's managed-by label; anything else with the same name is a conflict a person must resolve.
import { controllerOf, managedBy, type OwnerIdentity } from './labels.js';

interface ExistingMeta {
  name?: string | undefined;
  labels?: Record<string, string> | undefined;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean | undefined }[] | undefined;
}

export type Ownership = 'ours' | 'adoptable' | 'conflict';

/** `ours` (controlled by this TenantSync), `adoptable` (our orphan) or `conflict` (someone else's). */
export function ownershipOf(existing: ExistingMeta, owner: OwnerIdentity): Ownership {
  const controller = controllerOf(existing);
  if (controller !== undefined) return controller.uid === owner.uid ? 'ours' : 'conflict';
  return existing.labels?.['app.kubernetes.io/managed-by'] === managedBy ? 'adoptable' : 'conflict';
}

/** The message of a conflict: what holds the name and what to do. */
export function conflictMessage(kind: string, existing: ExistingMeta, namespace: string): string {
  const controller = controllerOf(existing);
  const holder = controller !== undefined ? `is controlled by ${controller.kind} ${controller.name}` : 'was not created by tenant-sync';
  return `${kind} ${namespace}/${existing.name} already exists and ${holder}; rename or delete it so this TenantSync can own it`;
}
