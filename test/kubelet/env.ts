// A container's environment, resolved like the kubelet does: envFrom first, then env in order, with
// $(VAR) references expanded against what is already defined. Missing sources are config errors.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { configMapEntries, keyValue, requireConfigMap, requireSecret, secretEntries, type ConfigSources } from './config-sources.js';
import { fieldRefValue, resourceFieldRefValue, type PodAddresses } from './downward-api.js';

/**
 * Kubernetes' `$(VAR)` expansion: `$(NAME)` becomes NAME's value when NAME is defined and stays as is
 * otherwise; `$$` is an escaped `$`.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (char !== '$' || i + 1 >= input.length) {
      out += char;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += char;
    }
  }
  return out;
}

/** envFrom keys that cannot be env var names are skipped, as the kubelet does (it emits an event). */
function isEnvName(name: string): boolean {
  return name.length > 0 && !name.includes('=') && !/[\0]/.test(name);
}

export interface EnvContext {
  pod: V1Pod;
  sources: ConfigSources;
  addresses: PodAddresses;
  allocatable: Record<string, string>;
}

/** The container's env as the kubelet would pass it (before any path rewriting). Throws config errors. */
export function resolveContainerEnv(container: V1Container, context: EnvContext): Record<string, string> {
  const { pod, sources } = context;
  const namespace = pod.metadata?.namespace ?? '';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: Map<string, Buffer> | undefined;
    if (from.configMapRef) {
      const configMap = requireConfigMap(sources, from.configMapRef.name ?? '', from.configMapRef.optional);
      entries = configMap && configMapEntries(configMap);
    } else if (from.secretRef) {
      const secret = requireSecret(sources, from.secretRef.name ?? '', from.secretRef.optional);
      entries = secret && secretEntries(secret);
    }
    for (const [key, value] of entries ?? []) {
      if (isEnvName(prefix + key)) env[prefix + key] = value.toString('utf8');
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (from === undefined) value = expandVars(variable.value ?? '', (name) => env[name]);
    else if (from.secretKeyRef) value = keyValue(sources, 'Secret', from.secretKeyRef, namespace);
    else if (from.configMapKeyRef) value = keyValue(sources, 'ConfigMap', from.configMapKeyRef, namespace);
    else if (from.fieldRef) value = fieldRefValue(pod, from.fieldRef, context.addresses);
    else if (from.resourceFieldRef) value = resourceFieldRefValue(container, from.resourceFieldRef, context.allocatable);
    // An optional key that is missing leaves the variable unset, as in the kubelet.
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}
