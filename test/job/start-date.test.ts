// Issue 11 class 5: startDate limits how far back history goes (time-based streams, satisfaction ratings and
// time entries too); reference data — agents, groups, companies, articles — is delivered in full on the first
// sync, however old.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ratingEditWindowSeconds } from '../../sync-job/source/freshdesk/streams.js';
import { at, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

describe('startDate', () => {
  it('limits tickets and contacts, never the reference streams', async () => {
    const { fake } = world;
    const dayMs = 24 * 3600 * 1000;
    const yearAgoMs = fake.clock.now().getTime() - 365 * dayMs;
    const recentMs = fake.clock.now().getTime() - 2 * dayMs;
    const old = (i: number) => ({ created_at: at(yearAgoMs, i), updated_at: at(yearAgoMs, i) });
    const recent = (i: number) => ({ created_at: at(recentMs, i), updated_at: at(recentMs, i) });
    const oldTickets = fake.data.addTickets(3, old);
    const newTickets = fake.data.addTickets(2, recent);
    fake.data.addContacts(3, old);
    const newContacts = fake.data.addContacts(1, recent);
    // Reference data set up long ago and never edited since.
    const agents = fake.data.addAgents(3, old);
    const groups = fake.data.addGroups(2, old);
    const companies = fake.data.addCompanies(2, old);
    const articles = fake.data.addArticles(2, old);
    const startDate = new Date(fake.clock.now().getTime() - 30 * dayMs).toISOString();
    const streams = ['tickets', 'contacts', 'agents', 'groups', 'companies', 'articles'] as const;

    const run = await runInProcess(world, configFor(world, streams, { startDate }));
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(newTickets);
    expect(deliveredIds(world.sink, 'contacts')).toEqual(newContacts);
    expect(deliveredIds(world.sink, 'agents')).toEqual(agents);
    expect(deliveredIds(world.sink, 'groups')).toEqual(groups);
    expect(deliveredIds(world.sink, 'companies')).toEqual(companies);
    expect(deliveredIds(world.sink, 'articles')).toEqual(articles);
    expect(oldTickets.some((id) => deliveredIds(world.sink, 'tickets').includes(id))).toBe(false);
    // The reference streams' cursors are their newest records, a year back: the next run reads from there.
    expect(run.result.streams.agents!.cursor.updatedAt).toBe(at(yearAgoMs, 2));
  });

  it('limits satisfaction ratings and time entries, which Freshdesk cannot filter by update', async () => {
    const { fake } = world;
    const dayMs = 24 * 3600 * 1000;
    const yearAgoMs = fake.clock.now().getTime() - 365 * dayMs;
    const recentMs = fake.clock.now().getTime() - 2 * dayMs;
    const startDateMs = fake.clock.now().getTime() - 30 * dayMs;
    const old = (i: number) => ({ created_at: at(yearAgoMs, i), updated_at: at(yearAgoMs, i) });
    const recent = (i: number) => ({ created_at: at(recentMs, i), updated_at: at(recentMs, i) });
    fake.data.addRecords('satisfaction_ratings', 3, old);
    const newRatings = fake.data.addRecords('satisfaction_ratings', 2, recent);
    fake.data.addRecords('time_entries', 3, old);
    const newEntries = fake.data.addRecords('time_entries', 2, recent);
    // Logged a year ago, edited since startDate: a time entry is read whole and filtered by its update.
    const [editedEntry] = fake.data.addRecords('time_entries', 1, (i) => ({ created_at: at(yearAgoMs, i), updated_at: at(recentMs, 10 + i) }));

    const run = await runInProcess(world, configFor(world, ['satisfaction_ratings', 'time_entries'], { startDate: new Date(startDateMs).toISOString() }));
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'satisfaction_ratings')).toEqual(newRatings);
    expect(deliveredIds(world.sink, 'time_entries')).toEqual([...newEntries, editedEntry]);
    // Ratings are asked for by creation, from the edit window before startDate, not from the beginning of time.
    const [asked] = fake.requests.filter((r) => r.path === '/api/v2/surveys/satisfaction_ratings');
    expect(Date.parse(asked!.query.created_since!)).toBe(Math.floor(startDateMs / 1000) * 1000 - ratingEditWindowSeconds * 1000);
  });
});
