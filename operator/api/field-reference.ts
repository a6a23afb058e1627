// The TenantSync field reference as a Markdown table, read off the generated CRD schema so the docs
// say what the API server enforces (`npm run generate -- --reference` prints it).
import { openApiSchema } from './crd.js';
import type { SchemaNode } from './structural-schema.js';

export interface FieldDoc {
  path: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

function typeOf(node: SchemaNode): string {
  if (node['x-kubernetes-int-or-string'] === true) return 'quantity';
  if (node.enum !== undefined) return (node.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array') return `[]${typeOf(node.items as SchemaNode)}`;
  if (node.type === 'object' && node.additionalProperties !== undefined) return `map[string]${typeOf(node.additionalProperties as SchemaNode)}`;
  return String(node.type);
}

/** Every field under `root` (e.g. spec), depth first in schema order. */
export function fieldDocs(root = 'spec'): FieldDoc[] {
  const docs: FieldDoc[] = [];
  const walk = (node: SchemaNode, path: string) => {
    const props = (node.properties ?? {}) as Record<string, SchemaNode>;
    const required = new Set((node.required ?? []) as string[]);
    for (const [name, child] of Object.entries(props)) {
      const childPath = `${path}.${name}`;
      docs.push({ path: childPath, type: typeOf(child), required: required.has(name), default: child.default, description: String(child.description ?? '') });
      if (child.type === 'object') walk(child, childPath);
      if (child.type === 'array' && (child.items as SchemaNode).type === 'object') walk(child.items as SchemaNode, `${childPath}[]`);
      if (child.type === 'object' && child.additionalProperties !== undefined && (child.additionalProperties as SchemaNode).type === 'object') {
        walk(child.additionalProperties as SchemaNode, `${childPath}.*`);
      }
    }
  };
  walk((openApiSchema().properties as Record<string, SchemaNode>)[root] as SchemaNode, root);
  return docs;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderFieldReference(root = 'spec'): string {
  const rows = fieldDocs(root).map((d) => {
    const def = d.default === undefined ? (d.required ? '**required**' : '') : `\`${JSON.stringify(d.default)}\``;
    // typeOf() already escapes the separators of enum lists.
    return `| \`${d.path}\` | ${d.type} | ${def} | ${cell(d.description)} |`;
  });
  return ['| Field | Type | Default | Description |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
