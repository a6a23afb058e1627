// zod schema → a Kubernetes *structural* OpenAPI v3 schema for a CRD: what z.toJSONSchema emits, minus
// what the API server refuses, plus its x-kubernetes-* extensions; keys sorted so the output is stable.
import { z } from 'zod';

/** A JSON-schema node, loosely typed: the converter checks its shape at run time. */
export type SchemaNode = { [keyword: string]: unknown };

/** Thrown when the zod schema uses something a structural schema cannot express. */
export class StructuralSchemaError extends Error {
  readonly code = 'StructuralSchemaUnsupported';
  constructor(path: string, what: string) {
    super(`${path || '<root>'}: ${what} cannot be expressed in a structural CRD schema; change the zod schema`);
  }
}

// Kubernetes' own int-or-string shape (controller-gen emits the same for resource quantities).
const intOrStringBranches = [{ type: 'integer' }, { type: 'string' }];
// What zod puts on every .int() number; the API server's int64 range is wider and needs no bound.
const safeIntegerBound = Number.MAX_SAFE_INTEGER;
// Keywords the walk understands; anything else zod emits is a schema feature this file must learn first.
const knownKeywords = new Set([
  'type', 'description', 'default', 'enum', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'properties',
  'required', 'items', 'additionalProperties', 'anyOf', 'nullable', 'example',
]);

/** Converts the input side of a zod schema (defaults optional, as users write it) into a structural schema. */
export function structuralSchemaOf(schema: z.ZodType): SchemaNode {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', cycles: 'throw', reused: 'inline' });
  return sortKeys(structural(json as SchemaNode, '')) as SchemaNode;
}

function structural(node: SchemaNode, path: string): SchemaNode {
  const out: SchemaNode = {};
  // An object kept as written (x-kubernetes-preserve-unknown-fields): zod's record of unknown values says nothing more.
  const preserved = node['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'id' || key === 'title') continue;
    if (preserved && (key === 'additionalProperties' || key === 'propertyNames')) continue;
    if (key.startsWith('x-kubernetes-')) {
      out[key] = value;
      continue;
    }
    if (!knownKeywords.has(key)) throw new StructuralSchemaError(path, `the keyword ${key}`);
    out[key] = value;
  }

  if (out['x-kubernetes-int-or-string'] === true) return intOrString(out, path);
  if (out.anyOf !== undefined) throw new StructuralSchemaError(path, 'a union (anyOf) other than int-or-string');
  if (out.nullable !== undefined) throw new StructuralSchemaError(path, 'nullable');
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new StructuralSchemaError(path, 'a node without a type');
  }

  // zod's .int() bounds are JavaScript's safe-integer range: noise in a CRD.
  if (out.minimum === -safeIntegerBound) delete out.minimum;
  if (out.maximum === safeIntegerBound) delete out.maximum;
  // z.iso.datetime() adds a long regex beside format: date-time; the API server checks the format itself.
  if (out.format === 'date-time') delete out.pattern;

  if (out.properties !== undefined) {
    // Unknown fields are pruned by the API server; "additionalProperties: false" next to properties is refused.
    if (out.additionalProperties === false) delete out.additionalProperties;
    if (out.additionalProperties !== undefined) throw new StructuralSchemaError(path, 'additionalProperties beside properties');
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, SchemaNode>).map(([name, child]) => [name, structural(child, `${path}.${name}`)]),
    );
  } else if (out.additionalProperties !== undefined) {
    const values = out.additionalProperties;
    if (typeof values !== 'object' || values === null || Object.keys(values).length === 0) {
      throw new StructuralSchemaError(path, 'a map whose values have no schema');
    }
    out.additionalProperties = structural(values as SchemaNode, `${path}.*`);
  }
  if (out.items !== undefined) {
    if (Array.isArray(out.items)) throw new StructuralSchemaError(path, 'a tuple');
    out.items = structural(out.items as SchemaNode, `${path}[*]`);
  }
  return out;
}

function intOrString(node: SchemaNode, path: string): SchemaNode {
  const branches = (node.anyOf ?? []) as SchemaNode[];
  const types = branches.map((b) => b.type).sort();
  if (types.length !== 2 || types[0] !== 'integer' || types[1] !== 'string') {
    throw new StructuralSchemaError(path, 'x-kubernetes-int-or-string on anything but a union of an integer and a string');
  }
  const stringBranch = branches.find((b) => b.type === 'string') as SchemaNode;
  const out: SchemaNode = { ...node, anyOf: intOrStringBranches.map((b) => ({ ...b })) };
  // A pattern on an int-or-string node only applies to string values, as in the zod union.
  if (stringBranch.pattern !== undefined) out.pattern = stringBranch.pattern;
  return out;
}

/** Sorts object keys recursively (controller-gen's order), keeping array order: the YAML diffs stay small. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
