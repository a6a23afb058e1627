// The downward API of the test kubelet: fieldRef and resourceFieldRef values for env vars and
// downwardAPI volumes, computed from the pod, its IPs and the node's allocatable resources.
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { missingConfigError } from './config-sources.js';

export interface PodAddresses {
  podIP: string;
  hostIP: string;
  nodeName: string;
}

function quotedMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

/** The value of a fieldRef, as the kubelet renders it (labels/annotations as `k="v"` lines). */
export function fieldRefValue(pod: V1Pod, ref: V1ObjectFieldSelector, addresses: PodAddresses): string {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (subscript) {
    const map = subscript[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[subscript[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return quotedMap(meta.labels);
    case 'metadata.annotations':
      return quotedMap(meta.annotations);
    case 'spec.nodeName':
      return addresses.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return addresses.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return addresses.hostIP;
    default:
      throw missingConfigError(`unsupported fieldPath: ${path}`);
  }
}

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`500m`, `128Mi`, `1e3`, `2`) as a number; throws on anything else. */
export function parseQuantity(quantity: string): number {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(quantity.trim());
  if (!match?.[1]) throw missingConfigError(`invalid quantity ${JSON.stringify(quantity)}`);
  const base = Number(match[1]);
  if (match[2]) return base * 10 ** Number(match[2].slice(1));
  const suffix = match[3] ?? '';
  return base * (binarySuffixes[suffix] ?? decimalSuffixes[suffix] ?? 1);
}

/**
 * The value of a resourceFieldRef: the container's request or limit divided by the divisor and
 * rounded up, like the kubelet; an unset limit is the node's allocatable, an unset request is 0.
 */
export function resourceFieldRefValue(
  container: V1Container,
  ref: V1ResourceFieldSelector,
  allocatable: Record<string, string>,
): string {
  const [kind, resource] = ref.resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !resource) throw missingConfigError(`unsupported resource: ${ref.resource}`);
  const set = container.resources?.[kind]?.[resource];
  const quantity = set ?? (kind === 'limits' ? allocatable[resource] : '0');
  if (quantity === undefined) throw missingConfigError(`unsupported resource: ${ref.resource}`);
  const divisor = parseQuantity(String(ref.divisor ?? '1'));
  // Round the ratio before ceil so 0.1/0.001 counts as 100, not 100.00000000000001.
  return String(Math.ceil(Number((parseQuantity(String(quantity)) / divisor).toPrecision(12))));
}
