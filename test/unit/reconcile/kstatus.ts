// A small reading of kstatus's rules for custom resources (sigs.k8s.io/cli-utils/pkg/kstatus),
// used to check that every status the reconciler writes means what it should to Flux and kubectl wait.
import type { TenantSyncStatus } from '../../../operator/api/tenantsync.js';

export type KStatus = 'InProgress' | 'Failed' | 'Current';

export function kstatusOf(generation: number, status: TenantSyncStatus | undefined): KStatus {
  if (status?.observedGeneration !== undefined && status.observedGeneration !== generation) return 'InProgress';
  const cond = (type: string) => status?.conditions?.find((c) => c.type === type);
  if (cond('Reconciling')?.status === 'True') return 'InProgress';
  if (cond('Stalled')?.status === 'True') return 'Failed';
  const ready = cond('Ready');
  if (ready !== undefined && ready.status !== 'True') return 'InProgress';
  return 'Current';
}
