// A small reading of kstatus's rules for custom resources (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute),
// used to check that every status the reconciler writes means what it should to Flux and kubectl wait.
// It follows Compute step by step for a resource of a kind kstatus has no special rules for (deletion,
// i.e. Terminating, is left out); kstatus-cli-utils.test.ts checks it against the real library.
import type { TenantSyncStatus } from '../../../operator/api/tenantsync.js';

export type KStatus = 'InProgress' | 'Failed' | 'Current';

export function kstatusOf(generation: number, status: TenantSyncStatus | undefined): KStatus {
  // checkGeneration: an observedGeneration that is not metadata.generation means not reconciled yet.
  if (status?.observedGeneration !== undefined && status.observedGeneration !== generation) return 'InProgress';
  const conditions = status?.conditions ?? [];
  // checkGenericProperties: the first Reconciling=True or Stalled=True condition, in list order, decides.
  for (const c of conditions) {
    if (c.type === 'Reconciling' && c.status === 'True') return 'InProgress';
    if (c.type === 'Stalled' && c.status === 'True') return 'Failed';
  }
  // checkReadyCondition: else the first Ready condition with a known status: True is Current, False or Unknown InProgress.
  for (const c of conditions) {
    if (c.type !== 'Ready') continue;
    if (c.status === 'True') return 'Current';
    if (c.status === 'False' || c.status === 'Unknown') return 'InProgress';
  }
  // No condition kstatus knows: an unknown kind is taken as Current.
  return 'Current';
}
