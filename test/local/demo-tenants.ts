// The demo of `npm run local`: two tenants taken from examples/ (the basic one and the one with
// per-stream intervals), pointed at the local Freshdesk fakes and the sink receiver. Pure: text in, objects out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRootDir } from '../kubelet/kubelet.js';

export const demoNamespace = 'demo';

export interface DemoTenantSource {
  /** File under examples/ holding one Secret and one TenantSync. */
  example: string;
  /** Base URL of the Freshdesk fake account this tenant reads (replaces the example's domain). */
  freshdeskUrl: string;
  /** That account's API key (replaces the placeholder in the example's Secret). */
  apiKey: string;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface DemoTenant {
  /** Name of the TenantSync. */
  name: string;
  /** spec.tenantId, else the name: what the sink receives on every record. */
  tenantId: string;
  /** The example it came from, e.g. examples/tenantsync-streams.yaml. */
  example: string;
  secret: Manifest;
  tenantSync: Manifest;
}

type Spec = {
  tenantId?: string;
  source: { domain?: string; baseUrl?: string; credentialsSecretRef: { name: string; key?: string } };
  sink: { url: string; authSecretRef?: unknown };
};

/** The Secret and TenantSync of one example file, aimed at the local fakes, in `namespace`. */
export function demoTenant(exampleText: string, example: string, source: DemoTenantSource, sinkUrl: string, namespace = demoNamespace): DemoTenant {
  const docs = parseAllDocuments(exampleText).map((doc) => doc.toJS() as Manifest | null).filter((doc): doc is Manifest => doc !== null);
  const tenantSync = docs.find((doc) => doc.kind === 'TenantSync');
  if (tenantSync === undefined) throw new Error(`${example}: no TenantSync document`);
  const spec = tenantSync.spec as Spec;
  const secretRef = spec.source.credentialsSecretRef;
  const secret = docs.find((doc) => doc.kind === 'Secret' && doc.metadata.name === secretRef.name);
  if (secret === undefined) throw new Error(`${example}: no Secret named ${secretRef.name} (source.credentialsSecretRef.name)`);
  if (spec.sink.authSecretRef !== undefined) throw new Error(`${example}: a sink token is not part of the local demo; pick an example without sink.authSecretRef`);
  const key = secretRef.key ?? 'apiKey';
  const { domain: _domain, ...sourceWithoutDomain } = spec.source;
  return {
    name: tenantSync.metadata.name,
    tenantId: spec.tenantId ?? tenantSync.metadata.name,
    example,
    secret: { ...secret, metadata: { ...secret.metadata, namespace }, stringData: { [key]: source.apiKey } },
    tenantSync: {
      ...tenantSync,
      metadata: { ...tenantSync.metadata, namespace },
      spec: { ...spec, source: { ...sourceWithoutDomain, baseUrl: source.freshdeskUrl }, sink: { ...spec.sink, url: sinkUrl } },
    },
  };
}

/** The demo tenants of `npm run local`: examples/tenantsync-basic.yaml and examples/tenantsync-streams.yaml. */
export function demoTenants(sources: { basic: Omit<DemoTenantSource, 'example'>; streams: Omit<DemoTenantSource, 'example'> }, sinkUrl: string): DemoTenant[] {
  const load = (file: string, source: Omit<DemoTenantSource, 'example'>) => {
    const example = join('examples', file);
    return demoTenant(readFileSync(join(repoRootDir, example), 'utf8'), example, { ...source, example }, sinkUrl);
  };
  return [load('tenantsync-basic.yaml', sources.basic), load('tenantsync-streams.yaml', sources.streams)];
}
