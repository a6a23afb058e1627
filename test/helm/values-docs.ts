// The chart README's values table, generated from the `# --` comments of charts/tenant-sync/values.yaml
// (the helm-docs convention): a `# --` comment, with the `#` lines right after it, documents the key below
// it; the key's default is its value in values.yaml. Keys inside lists are not rows (their list is).
//   npx tsx test/helm/values-docs.ts          prints the table
//   npx tsx test/helm/values-docs.ts --write  rewrites it in the chart README, between the markers
// test/unit/ship/chart-values-docs.test.ts fails when the README's table is not the generated one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const chartDirPath = fileURLToPath(new URL('../../charts/tenant-sync', import.meta.url));
export const tableStart = '<!-- values-table:start (generated from values.yaml by `npx tsx test/helm/values-docs.ts --write`) -->';
export const tableEnd = '<!-- values-table:end -->';

export interface ValueDoc {
  /** Dotted path, e.g. metrics.serviceMonitor.enabled. */
  key: string;
  description: string;
  default: unknown;
}

/** The documented keys of a values.yaml, in file order. */
export function documentedValues(valuesYaml: string): ValueDoc[] {
  const values = parse(valuesYaml) as Record<string, unknown>;
  const docs: ValueDoc[] = [];
  /** Open keys (and list items, key undefined) by indentation. */
  const stack: { indent: number; key: string | undefined }[] = [];
  let pending: string[] | undefined;
  for (const line of valuesYaml.split('\n')) {
    const doc = /^\s*# --\s?(.*)$/.exec(line);
    if (doc) {
      pending = [doc[1]!.trim()];
      continue;
    }
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (comment) {
      if (pending !== undefined) pending.push(comment[1]!.trim());
      continue;
    }
    if (line.trim() === '') {
      pending = undefined;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
    if (line.trimStart().startsWith('- ') || line.trim() === '-') {
      stack.push({ indent, key: undefined });
      pending = undefined;
      continue;
    }
    const key = /^\s*("[^"]+"|'[^']+'|[^\s:#]+):(\s|$)/.exec(line)?.[1]?.replace(/^["']|["']$/g, '');
    if (key === undefined) continue;
    const inList = stack.some((s) => s.key === undefined);
    stack.push({ indent, key });
    if (pending !== undefined && !inList) {
      const path = stack.map((s) => s.key!);
      docs.push({ key: path.join('.'), description: pending.filter((l) => l !== '').join(' '), default: valueAt(values, path) });
    }
    pending = undefined;
  }
  return docs;
}

function valueAt(values: unknown, path: readonly string[]): unknown {
  let v = values;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : 'string';
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown table (without the markers). */
export function valuesTable(valuesYaml: string): string {
  const rows = documentedValues(valuesYaml).map(
    (d) => `| \`${d.key}\` | ${typeOf(d.default)} | \`${cell(JSON.stringify(d.default) ?? 'null')}\` | ${cell(d.description)} |`,
  );
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README with its table (between the markers) replaced by `table`; throws without the markers. */
export function withValuesTable(readme: string, table: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`the chart README has no values table markers (${tableStart} … ${tableEnd})`);
  return `${readme.slice(0, start + tableStart.length)}\n${table}\n${readme.slice(end)}`;
}

/** Leaf values (and empty maps/lists) that neither they nor an ancestor document. */
export function undocumentedValues(valuesYaml: string): string[] {
  const documented = new Set(documentedValues(valuesYaml).map((d) => d.key));
  const missing: string[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (path.length > 0 && path.some((_, i) => documented.has(path.slice(0, i + 1).join('.')))) return;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
      return;
    }
    missing.push(path.join('.'));
  };
  walk(parse(valuesYaml), []);
  return missing;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const valuesYaml = readFileSync(join(chartDirPath, 'values.yaml'), 'utf8');
  const table = valuesTable(valuesYaml);
  if (process.argv.includes('--write')) {
    const readmePath = join(chartDirPath, 'README.md');
    writeFileSync(readmePath, withValuesTable(readFileSync(readmePath, 'utf8'), table));
  } else {
    process.stdout.write(`${table}\n`);
  }
}
