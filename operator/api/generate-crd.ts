// `npm run generate`: writes the TenantSync CRD built from the zod schema to crds/.
// `npm run generate -- --check` only compares, and exits 1 when the committed file is stale;
// `npm run generate -- --reference` prints the Markdown field reference of docs/reference.md instead.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { crdFile, renderCrdYaml } from './crd.js';
import { renderFieldReference } from './field-reference.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const target = `${repoRoot}${crdFile}`;
const wanted = renderCrdYaml();

if (process.argv.includes('--reference')) {
  process.stdout.write(renderFieldReference('spec'));
} else if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== wanted) {
    console.error(`${crdFile} is stale: run \`npm run generate\` and commit it (then \`git diff ${crdFile}\` shows what changed).`);
    process.exit(1);
  }
  console.log(`${crdFile} is up to date`);
} else {
  await writeFile(target, wanted);
  console.log(`wrote ${crdFile}`);
}
