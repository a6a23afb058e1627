// The line the cluster tests print first: which Kubernetes they run against (as the live API server's
// /version reports it), where, how fast it started and which CRDs are installed.
import { crdNameOf } from './crd-established.js';

export interface BannerFacts {
  /** gitVersion from the running kube-apiserver's /version (ControlPlane.version), e.g. v1.37.2. */
  version: string;
  /** https://127.0.0.1:<port> */
  server: string;
  startupMs: number;
  /** Installed CRDs as `kubectl apply -o name` prints them, or bare names. */
  crds: readonly string[];
}

/** Pure: `[controlplane] Kubernetes v1.37.2 (kube-apiserver at …, ready in 3.1 s; CRDs: tenantsyncs.tenantsync.io)`. */
export function controlPlaneBanner(facts: BannerFacts): string {
  const crdNames = facts.crds.map(crdNameOf).join(', ') || 'none in crds/';
  return `[controlplane] Kubernetes ${facts.version} (kube-apiserver at ${facts.server}, ready in ${(facts.startupMs / 1000).toFixed(1)} s; CRDs: ${crdNames})`;
}
