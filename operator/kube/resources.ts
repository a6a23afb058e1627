// Where a kind lives in the REST API: apiVersion + kind → plural + scope → URL path. Pure; the
// client resolves unknown kinds once through discovery and caches the answer here.

/** A resource type as the API server serves it. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Kinds the operator and its tests use, so they never need a discovery request. */
export const wellKnownResourceTypes: readonly ResourceType[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false },
];

export const resourceTypeKey = (apiVersion: string, kind: string): string => `${apiVersion}/${kind}`;

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function apiPrefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/**
 * The URL path of a collection (no name) or an object (with name), optionally a subresource.
 * A namespaced type without a namespace addresses the all-namespaces collection (list/watch only).
 */
export function resourcePath(
  type: Pick<ResourceType, 'apiVersion' | 'plural' | 'namespaced'>,
  where: { namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined } = {},
): string {
  let path = apiPrefix(type.apiVersion);
  if (type.namespaced && where.namespace) path += `/namespaces/${encodeURIComponent(where.namespace)}`;
  path += `/${type.plural}`;
  if (where.name !== undefined) path += `/${encodeURIComponent(where.name)}`;
  if (where.subresource !== undefined) path += `/${where.subresource}`;
  return path;
}

/** The label the write counter uses: `configmaps`, `tenantsyncs/status`. */
export const resourceLabel = (plural: string, subresource?: string): string =>
  subresource ? `${plural}/${subresource}` : plural;

/** The parts of a request path after the API prefix and namespace: [plural, name?, subresource?]. */
function resourceSegments(path: string): string[] {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : parts;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  return rest;
}

/** The counter's resource label of a request path: `configmaps`, `tenantsyncs/status`, `discovery`. Pure. */
export function resourceOfPath(path: string): string {
  const [plural, , subresource] = resourceSegments(path);
  return plural === undefined ? 'discovery' : resourceLabel(plural, subresource);
}

/** True when the path names one object (a GET of it is a get, not a list). Pure. */
export function isNamedPath(path: string): boolean {
  return resourceSegments(path).length >= 2;
}
