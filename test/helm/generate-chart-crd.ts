// `npm run generate:chart`: writes the chart's copy of the TenantSync CRD (charts/tenant-sync/crds/) from the
// same zod schema as crds/ (`npm run generate`); `--check` only compares and exits 1 when the copy is stale.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdFile, renderCrdYaml } from '../../operator/api/crd.js';

/** Path of the chart's CRD, relative to the repository root; Helm installs crds/ before the templates. */
export const chartCrdFile = `charts/tenant-sync/${crdFile}`;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<void> {
  const target = `${repoRoot}${chartCrdFile}`;
  const wanted = renderCrdYaml();
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== wanted) {
      console.error(`${chartCrdFile} is stale: run \`npm run generate:chart\` and commit it.`);
      process.exit(1);
    }
    console.log(`${chartCrdFile} is up to date`);
    return;
  }
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, wanted);
  console.log(`wrote ${chartCrdFile}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
