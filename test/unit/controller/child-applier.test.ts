import { describe, expect, it } from 'vitest';
import { ChildApplier } from '../../../operator/controller/child-applier.js';
import { hexHash } from '../../../operator/reconcile/hash.js';
import { canonicalJson } from '../../../sync-job/canonical-json.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: Record<string, unknown> };

function fakeApplyClient(normalize: (o: Obj) => Obj = (o) => o) {
  let rv = 1;
  const applied: Obj[] = [];
  return {
    applied,
    async apply<T>(obj: T): Promise<T> {
      const o = obj as unknown as Obj;
      applied.push(o);
      return normalize({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } }) as unknown as T;
    },
  };
}

const desired: Obj = { apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'n' }, spec: { size: '0.5Gi', list: [1, 2] } };
/** The live metadata of an object last applied from `of` (it carries the hash of what was applied). */
const appliedMeta = (of: Obj, resourceVersion: string) => ({ ...of.metadata, resourceVersion, annotations: { 'tenantsync.io/applied-hash': hexHash(canonicalJson(of), 16) } });

describe('ChildApplier', () => {
  it.each([
    ['absent', undefined, 'created'],
    ['equal plus server defaults', { ...desired, metadata: appliedMeta(desired, '9'), spec: { size: '0.5Gi', list: [1, 2], defaulted: true } }, 'unchanged'],
    ['equal, but applied by an operator without the hash', { ...desired, metadata: { ...desired.metadata, resourceVersion: '9' }, spec: { size: '0.5Gi', list: [1, 2] } }, 'updated'],
    ['a changed field', { ...desired, metadata: { ...desired.metadata, resourceVersion: '9' }, spec: { size: '1Gi', list: [1, 2] } }, 'updated'],
    ['a shorter list', { ...desired, metadata: { ...desired.metadata, resourceVersion: '9' }, spec: { size: '0.5Gi', list: [1] } }, 'updated'],
  ])('live %s → %s', async (_what, live, action) => {
    const client = fakeApplyClient();
    const result = await new ChildApplier(client).ensure(desired as never, live as never);
    expect(result.action).toBe(action);
    expect(client.applied.length).toBe(action === 'unchanged' ? 0 : 1);
  });

  it('applies again when the desired object lost a field that is still live (issue 12 item 5)', async () => {
    const before: Obj = { ...desired, spec: { ...desired.spec, timeZone: 'Europe/Berlin' } };
    // Live still holds everything desired now (desired ⊆ live), plus the removed timeZone.
    const live = { ...before, metadata: appliedMeta(before, '9') };
    const client = fakeApplyClient();
    const result = await new ChildApplier(client).ensure(desired as never, live as never);
    expect(result).toMatchObject({ action: 'updated', changed: ['fields the spec no longer sets'] });
    expect(client.applied[0]?.spec).toEqual(desired.spec);
    expect(client.applied[0]?.metadata.annotations?.['tenantsync.io/applied-hash']).toBe(hexHash(canonicalJson(desired), 16));
  });

  it('applies a field the API server normalises once, not on every pass', async () => {
    // The server stores 0.5Gi as 512Mi: the live object never equals the desired text.
    const client = fakeApplyClient((o) => ({ ...o, spec: { ...o.spec, size: '512Mi' } }));
    const applier = new ChildApplier(client);
    const live1 = { ...desired, metadata: { ...desired.metadata, resourceVersion: '1' }, spec: { size: '512Mi', list: [1, 2] } };
    const first = await applier.ensure<Obj & { metadata: { resourceVersion?: string } }>(desired as never, live1);
    expect(first.action).toBe('updated');
    // The cache first still shows the old version, then the one our apply returned.
    expect((await applier.ensure(desired as never, live1 as never)).action).toBe('unchanged');
    expect((await applier.ensure(desired as never, first.object)).action).toBe('unchanged');
    expect(client.applied).toHaveLength(1);
    // Someone else changes it: a new resourceVersion, so it is compared (and restored) again.
    const edited = { ...first.object, metadata: { ...first.object.metadata, resourceVersion: '77' }, spec: { size: '2Gi', list: [1, 2] } };
    expect((await applier.ensure(desired as never, edited as never)).action).toBe('updated');
  });

  it('says which fields differed', async () => {
    const live = { ...desired, metadata: { ...desired.metadata, resourceVersion: '9' }, spec: { size: '1Gi', list: [1, 3] } };
    const result = await new ChildApplier(fakeApplyClient() as never).ensure(desired as never, live as never);
    expect(result.changed).toEqual(['spec.size', 'spec.list[1]']);
  });
});
