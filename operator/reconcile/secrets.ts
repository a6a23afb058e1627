// The Secrets a TenantSync's Job reads (by reference only) and how a missing one is reported.
// The operator checks existence and the key's presence; it never reads or copies a value.
import type { TenantSyncSpec } from '../api/tenantsync.js';

export interface SecretKeyReference {
  readonly name: string;
  readonly key: string;
  /** For messages: what the key holds. */
  readonly purpose: string;
}

export function secretReferences(spec: TenantSyncSpec): SecretKeyReference[] {
  const refs: SecretKeyReference[] = [{ ...spec.source.credentialsSecretRef, purpose: 'Freshdesk API key (spec.source.credentialsSecretRef)' }];
  if (spec.sink.authSecretRef !== undefined) refs.push({ ...spec.sink.authSecretRef, purpose: 'sink token (spec.sink.authSecretRef)' });
  return refs;
}

/** What a lookup found: the Secret's data keys, or undefined when the Secret does not exist. */
export type SecretLookup = { readonly ref: SecretKeyReference; readonly keys: readonly string[] | undefined };

/** A message naming every missing Secret or key, or undefined when all are there. */
export function missingSecretsMessage(namespace: string, lookups: readonly SecretLookup[]): string | undefined {
  const problems = lookups.flatMap(({ ref, keys }) => {
    if (keys === undefined) return [`Secret ${namespace}/${ref.name} (${ref.purpose}) not found`];
    if (!keys.includes(ref.key)) return [`Secret ${namespace}/${ref.name} has no key "${ref.key}" (${ref.purpose})`];
    return [];
  });
  if (problems.length === 0) return undefined;
  return `${problems.join('; ')}; runs stay suspended until it exists`;
}
