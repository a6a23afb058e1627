// Deletes of reference data and the streams a Freshdesk user expects: reference streams come whole on every run
// as a snapshot the sink can replace (a deleted agent or group disappears downstream too), soft-deleted contacts
// arrive as deletes, and satisfaction ratings, time entries, ticket fields, solution categories and folders,
// products, roles, business hours, SLA policies and surveys are streams of their own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamName } from '../../sync-job/contract.js';
import { ratingEditWindowSeconds } from '../../sync-job/source/freshdesk/streams.js';
import { at, configFor, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const currentIds = (stream: string) => [...world.sink.current('acme', stream).keys()].map(Number).sort((a, b) => a - b);

describe('reference streams as snapshots', () => {
  it('a deleted agent or group disappears downstream: each run is a complete snapshot the sink replaces', async () => {
    const baseMs = world.fake.clock.now().getTime() - 24 * 3600 * 1000;
    world.fake.data.addAgents(5, (i) => ({ updated_at: at(baseMs, i) }));
    world.fake.data.addGroups(3, (i) => ({ updated_at: at(baseMs, i) }));
    const config = configFor(world, ['agents', 'groups']);
    const first = await runInProcess(world, config);
    expect(first.result.outcome).toBe('Succeeded');
    expect(currentIds('agents')).toEqual([1, 2, 3, 4, 5]);

    world.fake.clock.advance(60_000);
    world.fake.data.deleteAgent(2);
    world.fake.data.deleteGroup(3);
    const second = await runInProcess(world, config, first.state);
    expect(second.result.outcome).toBe('Succeeded');
    expect(currentIds('agents')).toEqual([1, 3, 4, 5]);
    expect(currentIds('groups')).toEqual([1, 2]);
    expect(world.sink.completedSnapshots('acme', 'agents')).toHaveLength(2);
    // Every batch of a snapshot is numbered; the completion marker comes last, with no records.
    const agentBatches = world.sink.deliveries.filter((d) => d.body.stream === 'agents').map((d) => d.body.snapshot!);
    expect(agentBatches.map((s) => [s.sequence, s.complete])).toEqual([[0, false], [1, true], [0, false], [1, true]]);
    expect(world.sink.idempotencyViolations).toEqual([]);
  });

  it('a scan that fails half-way completes no snapshot, so the sink replaces nothing', async () => {
    world.fake.data.addCompanies(250);
    const config = configFor(world, ['companies']);
    const first = await runInProcess(world, config);
    expect(first.result.outcome).toBe('Succeeded');
    world.fake.clock.advance(60_000);
    world.fake.data.deleteCompany(7);
    world.fake.faults.onRequest((request) => {
      if (request.path === '/api/v2/companies' && request.query.page === '3') world.fake.faults.failNext(Infinity, 500, { path: 'companies' });
    });
    const second = await runInProcess(world, config, first.state);
    expect(second.result.streams.companies).toMatchObject({ outcome: 'Failed' });
    expect(world.sink.completedSnapshots('acme', 'companies')).toHaveLength(1);
    expect(currentIds('companies')).toHaveLength(250); // company 7 is still there until a snapshot completes without it
  });
});

describe('soft-deleted contacts', () => {
  it.each([
    ['a delete that stamps updated_at', true],
    ['a delete that leaves updated_at alone', false],
  ])('arrive as op "delete" (%s)', async (_title, moves) => {
    const baseMs = world.fake.clock.now().getTime() - 24 * 3600 * 1000;
    world.fake.behaviours.deletesMoveUpdatedAt(moves);
    world.fake.data.addContacts(6, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const config = configFor(world, ['contacts']);
    const first = await runInProcess(world, config);
    world.fake.clock.advance(3_600_000);
    world.fake.data.deleteContact(3);
    const second = await runInProcess(world, config, first.state);
    expect(second.result.outcome).toBe('Succeeded');
    const deletes = world.sink.records('acme', 'contacts').filter((r) => r.op === 'delete');
    expect(deletes.map((r) => r.id)).toEqual(['3']);
    expect(currentIds('contacts')).toEqual([1, 2, 4, 5, 6]);
  });
});

describe('the streams users expect', () => {
  const referenceKinds = ['ticket_fields', 'products', 'roles', 'business_hours', 'sla_policies', 'surveys'] as const;

  it('delivers every new stream; lists that may not paginate are asked for without paging parameters', async () => {
    const baseMs = world.fake.clock.now().getTime() - 24 * 3600 * 1000;
    for (const kind of referenceKinds) world.fake.data.addRecords(kind, 2, (i) => ({ updated_at: at(baseMs, i) }));
    world.fake.data.addRecords('satisfaction_ratings', 4, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    world.fake.data.addRecords('time_entries', 3, (i) => ({ updated_at: at(baseMs, i) }));
    world.fake.data.addArticles(2);
    const streams: StreamName[] = [...referenceKinds, 'satisfaction_ratings', 'time_entries', 'solution_categories', 'solution_folders'];
    const run = await runInProcess(world, configFor(world, streams));
    expect(run.result.outcome).toBe('Succeeded');
    for (const kind of referenceKinds) expect(currentIds(kind), kind).toEqual([1, 2]);
    expect(currentIds('satisfaction_ratings')).toEqual([1, 2, 3, 4]);
    expect(currentIds('time_entries')).toEqual([1, 2, 3]);
    expect(currentIds('solution_categories')).toEqual([1]);
    expect(currentIds('solution_folders')).toEqual([1]);
    for (const kind of referenceKinds) {
      const [firstRequest] = world.fake.requests.filter((r) => r.path.endsWith(`/${kind}`));
      expect(firstRequest!.query, kind).toEqual({});
    }
    expect(world.fake.violations).toEqual([]);
  });

  it('reads nested knowledge-base folders at any depth: their folders and articles are part of the snapshots', async () => {
    const [category] = world.fake.data.addCategories([{ name: 'Help' }]);
    const [top] = world.fake.data.addFolders(category!, [{ name: 'Accounts' }]);
    const [child] = world.fake.data.addSubfolders(top!, [{ name: 'Passwords' }]);
    const [grandchild] = world.fake.data.addSubfolders(child!, [{ name: 'SSO' }]);
    const articles = [top, child, grandchild].map((folder) => world.fake.data.addArticles([{ folder_id: folder! }])[0]!);
    const run = await runInProcess(world, configFor(world, ['solution_folders', 'articles']));
    expect(run.result.outcome).toBe('Succeeded');
    expect(currentIds('solution_folders')).toEqual([top, child, grandchild]);
    expect(currentIds('articles')).toEqual(articles);
    // Only folders that say they have subfolders are asked for them.
    const asked = world.fake.requests.filter((r) => r.path.endsWith('/subfolders')).map((r) => r.path);
    expect(new Set(asked)).toEqual(new Set([`/api/v2/solutions/folders/${top}/subfolders`, `/api/v2/solutions/folders/${child}/subfolders`]));
  });

  it('reads a list that turns out to paginate (a link: rel="next" on the unpaged answer) as a paged list, whole', async () => {
    world.fake.data.addRecords('products', 250);
    const run = await runInProcess(world, configFor(world, ['products']));
    expect(run.result.streams.products).toMatchObject({ outcome: 'Succeeded' });
    expect(currentIds('products')).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    const asked = world.fake.requests.filter((r) => r.path === '/api/v2/products').map((r) => r.query);
    expect(asked[0]).toEqual({});
    expect(asked.slice(1).every((query) => query.page !== undefined && query.per_page !== undefined)).toBe(true);
  });

  it('delivers satisfaction ratings of any age on a first run (created_since is always sent)', async () => {
    const nowMs = world.fake.clock.now().getTime();
    const [old, recent] = world.fake.data.addRecords('satisfaction_ratings', [
      { created_at: at(nowMs, -400 * 24 * 3600), updated_at: at(nowMs, -400 * 24 * 3600) },
      { created_at: at(nowMs, -3600), updated_at: at(nowMs, -3600) },
    ]);
    const run = await runInProcess(world, configFor(world, ['satisfaction_ratings']));
    expect(run.result.streams.satisfaction_ratings).toMatchObject({ outcome: 'Succeeded', records: 2 });
    expect(currentIds('satisfaction_ratings')).toEqual([old, recent]);
  });

  it('re-reads satisfaction ratings created within a window behind the cursor, so an edited rating is delivered', async () => {
    const nowMs = world.fake.clock.now().getTime();
    const [old, recent] = world.fake.data.addRecords('satisfaction_ratings', [
      { created_at: at(nowMs, -3 * 24 * 3600), updated_at: at(nowMs, -3 * 24 * 3600) },
      { created_at: at(nowMs, -3600), updated_at: at(nowMs, -3600) },
    ]);
    const config = configFor(world, ['satisfaction_ratings']);
    const first = await runInProcess(world, config);
    expect(first.result.streams.satisfaction_ratings).toMatchObject({ outcome: 'Succeeded', records: 2 });
    world.fake.clock.advance(3_600_000);
    world.fake.data.updateRecord('satisfaction_ratings', old!, { feedback: 'changed my mind' });
    const second = await runInProcess(world, config, first.state);
    const again = world.sink.records('acme', 'satisfaction_ratings').filter((r) => (r.data as { feedback?: string }).feedback === 'changed my mind');
    expect(again.map((r) => Number(r.id))).toEqual([old]);
    // Ratings are asked for by creation, from the window behind the cursor.
    const asked = world.fake.requests.filter((r) => r.path === '/api/v2/surveys/satisfaction_ratings').at(-1)!;
    const cursorMs = Date.parse(first.result.streams.satisfaction_ratings!.cursor.updatedAt!);
    expect(Date.parse(asked.query.created_since!)).toBeLessThanOrEqual(cursorMs - ratingEditWindowSeconds * 1000);
    expect(second.result.outcome).toBe('Succeeded');
    expect(recent).toBe(2);
  });
});
