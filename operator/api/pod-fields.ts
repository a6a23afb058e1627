// core/v1 shapes the sync pod takes over (resources, and the pod settings of spec.job), described so that
// kubectl explain and the API server check them instead of storing typos; the operator's --sync-* flags
// are checked with the same schemas. Also the operator's built-in defaults, which the CRD descriptions quote.
import { z } from 'zod';

const quantityPattern = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const quantity = z
  .union([z.number().int().nonnegative(), z.string().regex(new RegExp(quantityPattern), 'must be a quantity such as 500m, 1 or 256Mi')])
  .transform(String)
  .meta({ 'x-kubernetes-int-or-string': true });
const resourceList = (what: string) =>
  z.record(z.string(), quantity).optional().meta({ description: `${what} per resource name, e.g. cpu: 500m, memory: 256Mi.` });

/**
 * Requests and limits of the sync container when neither the TenantSync nor the operator's --sync-resources
 * says otherwise: requests (and limits) of cpu and memory, so a namespace ResourceQuota that requires them
 * admits the pod. 512Mi leaves the job's heap about 300 MiB (sync-job/core/memory-budget.ts).
 */
export const defaultSyncResources = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
} as const satisfies SyncResources;

/** `requests: cpu 100m, memory 256Mi; limits: cpu 1, memory 512Mi`, for descriptions and help texts. */
export const defaultSyncResourcesText = (['requests', 'limits'] as const)
  .map((part) => `${part}: ${Object.entries(defaultSyncResources[part]).map(([name, value]) => `${name} ${value}`).join(', ')}`)
  .join('; ');

export const resourcesSchema = z
  .object({ limits: resourceList('Most compute the sync container may use'), requests: resourceList('Compute reserved for the sync container') })
  .meta({
    description:
      'Compute resources of the sync container, as in a core/v1 container; replaces the operator\'s defaults as a whole. ' +
      `Default (also when empty): the operator's --sync-resources (chart value syncPod.resources), out of the box ${defaultSyncResourcesText}.`,
  });
export type SyncResources = { requests?: Record<string, string> | undefined; limits?: Record<string, string> | undefined };

/** True when resources name no request and no limit (then the operator's defaults apply). */
export function isEmptyResources(resources: SyncResources | undefined): boolean {
  return Object.keys(resources?.requests ?? {}).length === 0 && Object.keys(resources?.limits ?? {}).length === 0;
}
