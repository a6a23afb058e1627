import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../../operator/reconcile/merge-patch.js';

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

describe('mergePatch', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, {}],
    [{ a: 1 }, { a: 2 }, { a: 2 }],
    [{ a: 1, b: 2 }, { a: 1 }, { b: null }],
    [{ o: { x: 1, y: 2 } }, { o: { x: 1 } }, { o: { y: null } }],
    [{ l: [1, 2] }, { l: [1] }, { l: [1] }],
    [{}, { o: { x: 1 } }, { o: { x: 1 } }],
    [{ a: 1 }, { a: 1, u: undefined }, {}],
  ])('%o → %o is %o', (from, to, patch) => {
    expect(mergePatch(from, to)).toEqual(patch);
    expect(applyMergePatch(from, mergePatch(from, to))).toEqual(JSON.parse(JSON.stringify(to)));
  });
});
