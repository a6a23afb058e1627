// The Secrets, ConfigMaps and tokens a pod refers to (env, envFrom, volumes), fetched once per
// attempt, and key lookups with the messages the real kubelet reports when something is missing.
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { KubeletError } from './errors.js';

export interface ConfigSources {
  /** By name; `undefined` means the API answered 404. */
  secrets: Map<string, V1Secret | undefined>;
  configMaps: Map<string, V1ConfigMap | undefined>;
  /** Projected service account tokens by audience ('' = the API server's). */
  serviceAccountTokens: Map<string, { token: string; expirationSeconds: number }>;
}

export interface ReferencedObjects {
  secrets: Set<string>;
  configMaps: Set<string>;
  /** Audiences of projected serviceAccountToken sources ('' = default) with their expirationSeconds. */
  tokenAudiences: Map<string, number>;
}

/** Every Secret/ConfigMap name a pod's containers and volumes refer to. */
export function referencedObjects(pod: V1Pod): ReferencedObjects {
  const refs: ReferencedObjects = { secrets: new Set(), configMaps: new Set(), tokenAudiences: new Map() };
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const env of container.env ?? []) {
      if (env.valueFrom?.secretKeyRef?.name) refs.secrets.add(env.valueFrom.secretKeyRef.name);
      if (env.valueFrom?.configMapKeyRef?.name) refs.configMaps.add(env.valueFrom.configMapKeyRef.name);
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) refs.secrets.add(from.secretRef.name);
      if (from.configMapRef?.name) refs.configMaps.add(from.configMapRef.name);
    }
  }
  for (const volume of pod.spec?.volumes ?? []) {
    if (volume.secret?.secretName) refs.secrets.add(volume.secret.secretName);
    if (volume.configMap?.name) refs.configMaps.add(volume.configMap.name);
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret?.name) refs.secrets.add(source.secret.name);
      if (source.configMap?.name) refs.configMaps.add(source.configMap.name);
      if (source.serviceAccountToken) {
        refs.tokenAudiences.set(source.serviceAccountToken.audience ?? '', source.serviceAccountToken.expirationSeconds ?? 3600);
      }
    }
  }
  return refs;
}

export function missingConfigError(message: string): KubeletError {
  return new KubeletError('KUBELET_CONFIG_MISSING', message);
}

/** A Secret, or the kubelet's `secret "x" not found`; `undefined` when missing but optional. */
export function requireSecret(sources: ConfigSources, name: string, optional: boolean | undefined): V1Secret | undefined {
  const secret = sources.secrets.get(name);
  if (secret === undefined && !optional) throw missingConfigError(`secret "${name}" not found`);
  return secret;
}

export function requireConfigMap(sources: ConfigSources, name: string, optional: boolean | undefined): V1ConfigMap | undefined {
  const configMap = sources.configMaps.get(name);
  if (configMap === undefined && !optional) throw missingConfigError(`configmap "${name}" not found`);
  return configMap;
}

/** All keys of a Secret as bytes (data is base64 on the wire). */
export function secretEntries(secret: V1Secret): Map<string, Buffer> {
  return new Map(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}

/** All keys of a ConfigMap as bytes (data as UTF-8, binaryData from base64). */
export function configMapEntries(configMap: V1ConfigMap): Map<string, Buffer> {
  return new Map([
    ...Object.entries(configMap.data ?? {}).map(([key, value]): [string, Buffer] => [key, Buffer.from(value, 'utf8')]),
    ...Object.entries(configMap.binaryData ?? {}).map(([key, value]): [string, Buffer] => [key, Buffer.from(value, 'base64')]),
  ]);
}

/** One key of a Secret or ConfigMap for an env var; `undefined` when missing but optional. */
export function keyValue(
  sources: ConfigSources,
  kind: 'Secret' | 'ConfigMap',
  ref: { name?: string; key: string; optional?: boolean },
  namespace: string,
): string | undefined {
  const name = ref.name ?? '';
  const object = kind === 'Secret' ? requireSecret(sources, name, ref.optional) : requireConfigMap(sources, name, ref.optional);
  if (object === undefined) return undefined;
  const entries = kind === 'Secret' ? secretEntries(object as V1Secret) : configMapEntries(object as V1ConfigMap);
  const value = entries.get(ref.key);
  if (value === undefined) {
    if (ref.optional) return undefined;
    throw missingConfigError(`couldn't find key ${ref.key} in ${kind} ${namespace}/${name}`);
  }
  return value.toString('utf8');
}
