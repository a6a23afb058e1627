// Runs the helm built by test/helm/build.sh with its state in a throwaway folder (never the user's
// ~/.config/helm), and renders the chart with given values into parsed objects.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { shipTool } from './tools.js';

export const chartDir = fileURLToPath(new URL('../../charts/tenant-sync', import.meta.url));

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

const helmHome = mkdtempSync(join(tmpdir(), 'tenantsync-helm-home-'));
const helmTimeoutMs = 120_000;

export function runHelm(args: readonly string[], options: { kubeconfig?: string } = {}): Promise<HelmResult> {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
    ...(options.kubeconfig !== undefined ? { KUBECONFIG: options.kubeconfig } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(shipTool('helm').path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), helmTimeoutMs);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 124, stdout, stderr });
    });
  });
}

/** Writes values to a file for `helm -f` (JSON is YAML). */
export function valuesFile(values: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(helmHome, 'values-')), 'values.yaml');
  writeFileSync(path, JSON.stringify(values));
  return path;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface Rendered {
  yaml: string;
  objects: K8sObject[];
}

/** `helm template` of the chart; throws with helm's stderr when it fails. */
export async function renderChart(options: {
  release: string;
  namespace: string;
  values?: Record<string, unknown>;
  includeCrds?: boolean;
}): Promise<Rendered> {
  const args = ['template', options.release, chartDir, '--namespace', options.namespace];
  if (options.values !== undefined) args.push('-f', valuesFile(options.values));
  if (options.includeCrds) args.push('--include-crds');
  const result = await runHelm(args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { yaml: result.stdout, objects };
}

export function findObject(objects: readonly K8sObject[], kind: string, name?: string, namespace?: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name) && (namespace === undefined || o.metadata.namespace === namespace));
}

/** The chart's one Deployment, typed. */
export function findDeployment(objects: readonly K8sObject[]): V1Deployment {
  const deployment = findObject(objects, 'Deployment');
  if (deployment === undefined) throw new Error('the rendered chart has no Deployment');
  return deployment as unknown as V1Deployment;
}

/** The operator container's arguments in the rendered Deployment. */
export function operatorArgs(objects: readonly K8sObject[]): string[] {
  return findDeployment(objects).spec?.template.spec?.containers[0]?.args ?? [];
}

/** The parts of a CustomResourceDefinition the chart tests read and change. */
export interface JsonSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  [key: string]: unknown;
}
export interface CrdDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; plural: string; [key: string]: unknown };
    versions: { name: string; schema: { openAPIV3Schema: JsonSchemaProps }; [key: string]: unknown }[];
    [key: string]: unknown;
  };
}

export interface RenamedCrdChart {
  /** The chart copy, for `helm install`. */
  dir: string;
  /** Its crds/ folder, the one the documented `kubectl apply --server-side --force-conflicts -f <chart>/crds/` applies. */
  crdsDir: string;
  /** The copy's CRD name, `<prefix>tenantsyncs.<group>`. */
  crdName: string;
  /** The copy's kind (`<Prefix>TenantSync`), plural and singular: none of them is a name of the real CRD. */
  names: { kind: string; plural: string; singular: string };
  /** The copy's CRD as written to its crds/. */
  crd: CrdDocument;
}

/**
 * A copy of the chart whose CRD is renamed to another API group, so Helm really installs its crds/ on a
 * control plane that already has tenantsyncs.tenantsync.io (Helm skips a CRD that exists). Its kind,
 * plural and singular get the group's first label as a prefix and it has no short names or categories:
 * `kubectl get tsync` (and kubectl's discovery cache, long after the copy is deleted) must keep meaning
 * the real TenantSync. `edit` changes the copy's CRD, e.g. to make an older version of the schema.
 */
export function chartWithRenamedCrd(group: string, edit?: (crd: CrdDocument) => void): RenamedCrdChart {
  const dir = join(mkdtempSync(join(helmHome, 'chart-')), 'tenant-sync');
  cpSync(chartDir, dir, { recursive: true });
  const crdsDir = join(dir, 'crds');
  const files = readdirSync(crdsDir).filter((f) => /\.ya?ml$/.test(f));
  if (files.length !== 1) throw new Error(`expected one CRD file in ${chartDir}/crds, found ${files.join(', ')}`);
  const file = join(crdsDir, files[0]!);
  const crds = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as CrdDocument | null)
    .filter((o): o is CrdDocument => o !== null);
  if (crds.length !== 1 || crds[0]!.kind !== 'CustomResourceDefinition') throw new Error(`${file} is not one CRD`);
  const crd = crds[0]!;
  const prefix = group.split('.')[0]!.toLowerCase();
  const kind = `${prefix.charAt(0).toUpperCase()}${prefix.slice(1)}${crd.spec.names.kind}`;
  const names = { kind, plural: `${prefix}${crd.spec.names.plural}`, singular: kind.toLowerCase() };
  crd.spec.names = { kind, listKind: `${kind}List`, plural: names.plural, singular: names.singular };
  const crdName = `${names.plural}.${group}`;
  crd.metadata.name = crdName;
  crd.spec.group = group;
  edit?.(crd);
  rmSync(file);
  writeFileSync(join(crdsDir, `${group}_${names.plural}.yaml`), stringify(crd));
  return { dir, crdsDir, crdName, names, crd };
}
