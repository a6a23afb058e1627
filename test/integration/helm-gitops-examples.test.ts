// The GitOps examples: each Kustomize overlay renders (kubectl kustomize) and applies to the real API server
// (server-side dry-run) with the tenants the operator would accept; the Flux manifests decode strictly into
// Flux's Go API types; the Argo CD Applications point at paths that exist, with chart values the chart accepts;
// and the Argo CD Application, Flux Kustomization and GitRepository are accepted (server-side dry-run) by the
// API server with the CRDs Argo CD and Flux ship installed (exported by gitops-check from their Go modules).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { tenantSyncSchema } from '../../operator/api/tenantsync.js';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';
import { chartDir, runHelm, valuesFile, type K8sObject } from '../helm/helm.js';
import { installThirdPartyCrds, thirdPartyCrds } from '../helm/third-party-crds.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
const readDocs = (path: string) => docs(readFileSync(join(repoRoot, path), 'utf8'));

interface TenantSyncObject extends K8sObject {
  spec: { suspend?: boolean; interval?: string; sink: { url: string; authSecretRef?: { name: string } }; source: { credentialsSecretRef: { name: string } } };
}

async function kustomize(overlay: string): Promise<K8sObject[]> {
  const r = await kubectl(['kustomize', join(repoRoot, overlay)]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${overlay}: ${r.stderr}`);
  return docs(r.stdout);
}

const overlays = [
  { path: 'examples/gitops/overlays/production', namespace: 'tenants-prod' },
  { path: 'examples/gitops/overlays/staging', namespace: 'tenants-staging' },
];

describe('examples/gitops (Kustomize)', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const ns of created) await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  for (const overlay of overlays) {
    describe(overlay.path, () => {
      let objects: K8sObject[];
      let tenants: TenantSyncObject[];
      beforeAll(async () => {
        objects = await kustomize(overlay.path);
        tenants = objects.filter((o): o is TenantSyncObject => o.kind === 'TenantSync');
      });

      it('renders every tenant of the base into the overlay namespace, each valid for the operator', () => {
        const base = readDocs('examples/gitops/base/kustomization.yaml')[0] as unknown as { resources: string[] };
        expect(tenants.map((t) => t.metadata.name).sort()).toEqual(base.resources.map((r) => /tenants\/(.+)\.yaml$/.exec(r)?.[1]).sort());
        for (const t of tenants) {
          expect(t.metadata.namespace).toBe(overlay.namespace);
          expect(() => tenantSyncSchema.parse(t), t.metadata.name).not.toThrow();
          expect(t.spec.sink.url).not.toContain('replaced-by-the-overlay');
        }
      });

      it('applies to the API server (server-side dry-run; its Namespace created for real)', async () => {
        const namespace = objects.find((o) => o.kind === 'Namespace');
        expect(namespace?.metadata.name).toBe(overlay.namespace);
        const ns = await kubectl(['apply', '--server-side', '-f', '-'], { input: stringify(namespace) });
        expect(ns.code, ns.stderr).toBe(0);
        created.push(overlay.namespace);
        const rest = objects.filter((o) => o.kind !== 'Namespace');
        const result = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: rest.map((o) => stringify(o)).join('---\n') });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout.match(/serverside-applied \(server dry run\)/g)).toHaveLength(rest.length);
      });
    });
  }

  it('production patches every tenant (sink with token) and one tenant alone (globex every 30m)', async () => {
    const tenants = (await kustomize(overlays[0]!.path)).filter((o): o is TenantSyncObject => o.kind === 'TenantSync');
    expect(tenants.every((t) => t.spec.sink.url === 'https://ingest.example.com/v1/records' && t.spec.sink.authSecretRef?.name === 'sink-token')).toBe(true);
    expect(Object.fromEntries(tenants.map((t) => [t.metadata.name, t.spec.interval]))).toMatchObject({ acme: '2h', globex: '30m' });
  });

  it('staging suspends every tenant but acme', async () => {
    const tenants = (await kustomize(overlays[1]!.path)).filter((o): o is TenantSyncObject => o.kind === 'TenantSync');
    expect(Object.fromEntries(tenants.map((t) => [t.metadata.name, t.spec.suspend]))).toEqual({ acme: false, globex: true, initech: true, umbrella: true });
  });
});

const gitopsCheck = shipTool('gitops-check');
// With TENANTSYNC_REQUIRE_SHIP_TOOLS=1 (CI) a missing gitops-check throws here: the file fails, never skips.
const gitopsCheckMissing = missingToolMessage(gitopsCheck);
if (gitopsCheckMissing !== undefined) console.warn(`[helm-gitops-examples.test] Flux checks and CRD dry-runs skipped: ${gitopsCheckMissing}`);

describe('examples/flux', () => {
  const files = ['examples/flux/gitrepository.yaml', 'examples/flux/helmrelease.yaml', 'examples/flux/kustomization.yaml'];

  it.skipIf(gitopsCheckMissing !== undefined)('decodes strictly into the Flux API types (no unknown or misplaced field)', () => {
    const run = spawnSync(gitopsCheck.path, files.map((f) => join(repoRoot, f)), { encoding: 'utf8' });
    const reports = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; result: string; error?: string });
    expect(reports.filter((r) => r.result !== 'ok')).toEqual([]);
    expect(reports.map((r) => r.kind).sort()).toEqual(['GitRepository', 'HelmRelease', 'Kustomization']);
    expect(run.status, run.stderr).toBe(0);
  });

  it('installs and upgrades the CRD from the chart on every sync (install.crds Create, upgrade.crds CreateReplace), from the chart in the repository', () => {
    const [release] = parseAllDocuments(readFileSync(join(repoRoot, 'examples/flux/helmrelease.yaml'), 'utf8')).map((d) => d.toJS() as K8sObject);
    // Flux's default for upgrades is Skip: the CRD would never be upgraded, and new spec fields would be pruned.
    expect(release?.spec).toMatchObject({ install: { crds: 'Create' }, upgrade: { crds: 'CreateReplace' }, chart: { spec: { chart: './charts/tenant-sync' } } });
    expect(existsSync(join(repoRoot, 'charts/tenant-sync/crds/tenantsync.io_tenantsyncs.yaml'))).toBe(true);
  });

  it.skipIf(gitopsCheckMissing !== undefined)('gitops-check does catch a misplaced field', () => {
    const broken = join(repoRoot, 'test/unit/ship/testdata/flux-kustomization-misplaced-field.yaml');
    const run = spawnSync(gitopsCheck.path, [broken], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/"result":"invalid".*unknown field \\"prune_all\\"/);
  });

  it('points at paths of this repository: the overlay and the chart', () => {
    const [kustomization] = readDocs('examples/flux/kustomization.yaml') as unknown as [{ spec: { path: string; sourceRef: { name: string } } }];
    const [release] = readDocs('examples/flux/helmrelease.yaml') as unknown as [{ spec: { chart: { spec: { chart: string; sourceRef: { name: string } } } } }];
    const [source] = readDocs('examples/flux/gitrepository.yaml');
    expect(existsSync(join(repoRoot, kustomization.spec.path, 'kustomization.yaml'))).toBe(true);
    expect(existsSync(join(repoRoot, release.spec.chart.spec.chart, 'Chart.yaml'))).toBe(true);
    expect([kustomization.spec.sourceRef.name, release.spec.chart.spec.sourceRef.name]).toEqual([source!.metadata.name, source!.metadata.name]);
  });
});

describe('examples/argocd', () => {
  interface Application {
    metadata: { name: string };
    spec: { source: { path: string; helm?: { valuesObject?: Record<string, unknown> } }; destination: { namespace: string } };
  }
  const apps = readDocs('examples/argocd/application.yaml') as unknown as Application[];

  it('has an Application for the chart and one for the tenants, at paths that exist', () => {
    expect(apps.map((a) => a.spec.source.path)).toEqual(['charts/tenant-sync', 'examples/gitops/overlays/production']);
    for (const a of apps) expect(existsSync(join(repoRoot, a.spec.source.path)), a.spec.source.path).toBe(true);
    expect(apps[1]!.spec.destination.namespace).toBe(overlays[0]!.namespace);
  });

  it.skipIf(missingToolMessage(shipTool('helm')) !== undefined)('gives the chart values it accepts, watching the tenants namespace', async () => {
    const values = apps[0]!.spec.source.helm!.valuesObject!;
    const result = await runHelm(['template', 'tenant-sync', chartDir, '-f', valuesFile(values)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`--namespaces=${overlays[0]!.namespace}`);
  });

  describe('argocd-cm-health.yaml', () => {
    let ns: TestNamespace;
    beforeAll(async () => {
      ns = await createTestNamespace('argocd-cm');
    });
    afterAll(() => ns?.cleanup());

    it('applies as a ConfigMap (server-side dry-run)', async () => {
      const [cm] = readDocs('examples/argocd/argocd-cm-health.yaml');
      const result = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: stringify({ ...cm, metadata: { ...cm!.metadata, namespace: ns.name } }) });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  });
});

describe.skipIf(gitopsCheckMissing !== undefined)('examples/argocd and examples/flux against the CRDs Argo CD and Flux ship', () => {
  const crdNames = ['applications.argoproj.io', 'gitrepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io'];
  let ns: TestNamespace | undefined;
  let uninstall: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    uninstall = await installThirdPartyCrds(thirdPartyCrds().filter((c) => crdNames.includes(c.name)));
    ns = await createTestNamespace('gitops-crds');
  });
  afterAll(async () => {
    await ns?.cleanup();
    await uninstall?.();
  });

  /** Server-side dry-run of the file's objects, moved into the test namespace (argocd and flux-system need not exist). */
  const dryRun = (objects: readonly K8sObject[]) =>
    kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: objects.map((o) => stringify({ ...o, metadata: { ...o.metadata, namespace: ns!.name } })).join('---\n'),
    });

  it('has the CRDs from the projects themselves, the Flux ones at the versions gitops-check decodes with', () => {
    const crds = thirdPartyCrds().filter((c) => crdNames.includes(c.name));
    expect(crds.map((c) => c.name).sort()).toEqual(crdNames);
    const goMod = readFileSync(join(repoRoot, 'test/helm/gitops-check/go.mod'), 'utf8');
    for (const c of crds.filter((c) => c.module.startsWith('github.com/fluxcd/'))) expect(goMod).toContain(`${c.module}/api ${c.version}\n`);
  });

  for (const [file, kinds] of [
    ['examples/argocd/application.yaml', ['Application', 'Application']],
    ['examples/flux/kustomization.yaml', ['Kustomization']],
    ['examples/flux/gitrepository.yaml', ['GitRepository']],
  ] as const) {
    it(`${file} is accepted by the API server (server-side dry-run)`, async () => {
      const objects = readDocs(file);
      expect(objects.map((o) => o.kind)).toEqual(kinds);
      const result = await dryRun(objects);
      // The one warning allowed: the API server's about Argo CD's own (documented, default) finalizer name.
      const argoFinalizerWarning = /^Warning: metadata\.finalizers: "resources-finalizer\.argocd\.argoproj\.io": prefer a domain-qualified finalizer name/;
      expect(result.stderr.split('\n').filter((l) => l !== '' && !argoFinalizerWarning.test(l))).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout.match(/serverside-applied \(server dry run\)/g)).toHaveLength(objects.length);
    });
  }

  it('the API server does reject what the CRD schemas forbid (so the dry-runs above can fail)', async () => {
    const misplaced = await dryRun(docs(readFileSync(join(repoRoot, 'test/unit/ship/testdata/flux-kustomization-misplaced-field.yaml'), 'utf8')));
    expect(misplaced.code).not.toBe(0);
    expect(misplaced.stderr).toMatch(/\.spec\.prune_all: field not declared in schema/);
    const [app] = readDocs('examples/argocd/application.yaml') as [K8sObject & { spec: Record<string, unknown> }];
    const { destination: _destination, ...noDestination } = app.spec;
    const incomplete = await dryRun([{ ...app, spec: noDestination }]);
    expect(incomplete.code).not.toBe(0);
    expect(incomplete.stderr).toMatch(/spec\.destination: Required value/);
  });
});
