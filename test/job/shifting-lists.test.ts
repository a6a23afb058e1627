// Issue 11 class 4: lists without a usable order (contacts newest-created first; companies, agents, groups by
// id) shift under a full scan. A delete on a page already read pushes a row onto that page; the scan must still
// deliver it — or, when it cannot tell, keep the cursor so the next run does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordPartial } from '../fakes/freshdesk/index.js';
import { at, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const old = (baseMs: number) => (i: number) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) });

describe('lists that shift under a full scan', () => {
  it.each([
    ['companies', (w: World, n: number, each: (i: number) => RecordPartial) => w.fake.data.addCompanies(n, each)],
    ['agents', (w: World, n: number, each: (i: number) => RecordPartial) => w.fake.data.addAgents(n, each)],
    ['groups', (w: World, n: number, each: (i: number) => RecordPartial) => w.fake.data.addGroups(n, each)],
    ['contacts', (w: World, n: number, each: (i: number) => RecordPartial) => w.fake.data.addContacts(n, each)],
  ] as const)('%s: a delete on each page already read does not make the scan skip the row pushed onto it', async (stream, add) => {
    const baseMs = world.fake.clock.now().getTime() - 30 * 24 * 3600 * 1000;
    const ids = add(world, 450, old(baseMs));
    world.fake.behaviours.deleteDuringScans(stream); // after every page with a next page: its first row is deleted
    const run = await runInProcess(world, configFor(world, [stream]));
    expect(run.exitCode).toBe(0);
    world.fake.behaviours.deleteDuringScans(stream, 0);
    const remaining = await listedNow(stream);
    expect(ids.length - remaining.length).toBeGreaterThanOrEqual(4); // a delete after each of the first pages
    // Every row still listed arrives (rows deleted mid-scan may or may not, depending on when they went).
    const delivered = new Set(deliveredIds(world.sink, stream));
    expect(remaining.filter((id) => !delivered.has(id))).toEqual([]);
    expect(run.result.streams[stream]).toMatchObject({ outcome: 'Succeeded', cursor: { updatedAt: at(baseMs, 449) } });
  });

  it('starts over when more rows vanish between two reads than the overlap bridges, delivering every remaining row', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 30 * 24 * 3600 * 1000;
    const ids = fake.data.addCompanies(300, old(baseMs));
    let deletedOnce = false;
    fake.faults.onRequest((request) => {
      if (!deletedOnce && request.path === '/api/v2/companies' && request.query.page !== '1') {
        deletedOnce = true;
        for (const id of ids.slice(0, 30)) fake.data.deleteCompany(id); // a bulk delete of page 1's rows
      }
    });
    const run = await runInProcess(world, configFor(world, ['companies']));
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'companies')).toEqual(expect.arrayContaining(ids.slice(30)));
    expect(fake.requests.filter((r) => r.path === '/api/v2/companies' && r.query.page === '1')).toHaveLength(2);
  });

  it('fails the stream and keeps its cursor when the list never holds still', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 30 * 24 * 3600 * 1000;
    const ids = fake.data.addGroups(400, old(baseMs));
    const first = await runInProcess(world, configFor(world, ['groups']));
    const cursor = first.result.streams.groups!.cursor;
    let next = 0;
    fake.faults.onRequest((request) => {
      // Before every read after the first of each scan, ten rows at the front vanish.
      if (request.path === '/api/v2/groups' && request.query.page !== '1') for (const id of ids.slice(next, (next += 10))) fake.data.deleteGroup(id);
    });
    fake.clock.advance(3600 * 1000);
    const second = await runInProcess(world, configFor(world, ['groups']), first.state);
    expect(second.exitCode).toBe(1);
    expect(second.result.streams.groups).toMatchObject({ outcome: 'Failed', cursor, error: expect.stringContaining('SOURCE_LIST_SHIFTING') });
  });
});

/** Ids the fake's list holds now, read page by page with the behaviours off. */
async function listedNow(stream: string): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const response = await fetch(`${world.fake.baseUrl}/api/v2/${stream}?per_page=100&page=${page}`, {
      headers: { authorization: `Basic ${Buffer.from(`${world.fake.apiKey}:X`).toString('base64')}` },
    });
    const rows = (await response.json()) as Array<{ id: number }>;
    ids.push(...rows.map((row) => row.id));
    if (!response.headers.get('link')) return ids.sort((a, b) => a - b);
  }
}
