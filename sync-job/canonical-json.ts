// Canonical JSON (object keys sorted at every depth, arrays in order): what a batchId hashes, and the form in
// which the job sends each record, so one serialization serves both. Hot: it runs once per delivered record.
// The operator uses it too, to compare a status with the stored one and to fingerprint the children it applies.

/**
 * An object's key order, as Object.keys gave it, with its sorted order and the quoted keys in that order.
 * Records of one stream share a few shapes (every ticket has the same keys in the same order), so sorting and
 * quoting once per shape instead of once per object makes the serialization several times faster.
 */
interface Shape {
  keys: string[];
  /** Indexes into `keys`, in sorted key order. */
  order: number[];
  /** `"key":` in sorted key order. */
  quoted: string[];
}

/** Shapes remembered per first key; past either bound a shape is sorted afresh, uncached (hostile data stays bounded). */
const maxShapesPerTag = 8;
const maxTags = 512;
const shapes = new Map<string, Shape[]>();

function shapeOf(keys: string[]): Shape {
  const tag = keys[0] ?? '';
  const known = shapes.get(tag);
  if (known) {
    for (const shape of known) if (sameKeys(shape.keys, keys)) return shape;
  }
  // Sorted as the default sort does (UTF-16 code units), integer-like keys included.
  const order = keys.map((_, index) => index).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const shape = { keys, order, quoted: order.map((index) => `${JSON.stringify(keys[index])}:`) };
  if (known) {
    if (known.length < maxShapesPerTag) known.push(shape);
  } else if (shapes.size < maxTags) {
    shapes.set(tag, [shape]);
  }
  return shape;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * JSON with object keys sorted at every depth (arrays keep their order), so the same content hashes alike
 * whatever order Freshdesk sent its fields in. `undefined` members are left out and `undefined` array items
 * become null, as JSON.stringify does. An object with a toJSON method (a Date) is written as what it returns, as
 * JSON.stringify writes it; the operator compares statuses and fingerprints its children with the same function.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  const shape = shapeOf(keys);
  let out = '{';
  let first = true;
  for (let j = 0; j < shape.order.length; j++) {
    const member = object[keys[shape.order[j]!]!];
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += shape.quoted[j]! + canonicalJson(member);
  }
  return `${out}}`;
}
