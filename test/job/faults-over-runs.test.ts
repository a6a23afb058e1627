// Source and sink faults over consecutive runs (issue 15): each run meets a seeded mix of 429 storms,
// 30% 5xx, half-sent bodies that stall past the body timeout, connection resets, hung requests, clock
// jumps (the source's forward, the job's own both ways), a sink down for the whole run, 5xx bursts and
// acks slower than the run's life (the run is stopped, as at its deadline, while the sink holds the
// batch). Records change during every run. Cursors are merged as the operator merges them (forward only).
// After each run: it ended Succeeded, PartiallySucceeded or Failed, and no cursor lies past a record the
// sink does not hold. After a last quiet run: the sink holds every record's current version.
// TENANTSYNC_CHAOS_JOB_RUNS sets the number of runs (npm run chaos), TENANTSYNC_CHAOS_SEED the seed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeState } from '../../operator/reconcile/cursor-merge.js';
import type { Cursor, JobState } from '../../sync-job/contract.js';
import type { Clock } from '../../sync-job/core/clock.js';
import { seededRandom, type Random } from '../chaos/random.js';
import { chaosCount, chaosEnv, chaosSeed, reportScenario } from '../chaos/settings.js';
import { at, configFor, runInProcess, startWorld, type World } from './support.js';

const runs = chaosCount(chaosEnv.jobRuns, 8);
const seed = chaosSeed();
const streams = ['tickets', 'contacts'] as const;
const roomyRateLimit = 100_000;

let world: World;
beforeEach(async () => {
  world = await startWorld({ rateLimitPerMinute: roomyRateLimit });
});
afterEach(async () => world.close());

type Fault = 'source-429-storm' | 'source-5xx-30%' | 'source-stalled-bodies' | 'source-resets' | 'source-hung-requests' | 'source-clock-jump' | 'job-clock-jump' | 'sink-down' | 'sink-5xx-burst' | 'sink-ack-past-deadline';
const allFaults: Fault[] = ['source-429-storm', 'source-5xx-30%', 'source-stalled-bodies', 'source-resets', 'source-hung-requests', 'source-clock-jump', 'job-clock-jump', 'sink-down', 'sink-5xx-burst', 'sink-ack-past-deadline'];

/** What Freshdesk holds now: per stream, id → updated_at (ms). */
function sourceNow(ids: Record<(typeof streams)[number], Set<number>>): Record<string, Map<string, number>> {
  const read = (stream: (typeof streams)[number], get: (id: number) => unknown) =>
    new Map([...ids[stream]].map((id) => [String(id), Date.parse((get(id) as { updated_at: string }).updated_at)] as const));
  return { tickets: read('tickets', (id) => world.fake.data.ticket(id)), contacts: read('contacts', (id) => world.fake.data.contact(id)) };
}

/** Records whose current version lies at or behind the cursor (so no later run reads it again) but that the sink does not hold. */
function behindCursorNotHeld(stream: string, cursor: Cursor | undefined, source: Map<string, number>): string[] {
  if (cursor?.updatedAt === undefined) return [];
  const highWater = Date.parse(cursor.updatedAt);
  const atHighWater = new Set(cursor.ids ?? []);
  const held = new Set(world.sink.records('acme', stream).map((r) => `${String(r.id)}@${Date.parse(r.updatedAt)}`));
  return [...source]
    .filter(([id, updatedAt]) => updatedAt < highWater || (updatedAt === highWater && atHighWater.has(id)))
    .filter(([id, updatedAt]) => !held.has(`${id}@${updatedAt}`))
    .map(([id, updatedAt]) => `${stream} ${id} @ ${new Date(updatedAt).toISOString()}`);
}

/** Arms one fault for the coming run; returns what undoes it after the run. */
function arm(fault: Fault, random: Random, job: { skewMs: number; abort: AbortController }): () => void | Promise<void> {
  const { fake, sink } = world;
  switch (fault) {
    case 'source-429-storm':
      fake.faults.setRateLimit(random.int(5, 30));
      return () => fake.faults.setRateLimit(roomyRateLimit);
    case 'source-5xx-30%':
      return fake.faults.onRequest(() => {
        if (random.chance(0.3)) fake.faults.failNext(1, random.pick([500, 502, 503, 504]));
      });
    case 'source-stalled-bodies':
      // Half the body, then nothing for longer than the job's body timeout: a truncated answer to the client.
      return fake.faults.onRequest(() => {
        if (random.chance(0.15)) fake.faults.slowBody(1, 1_500);
      });
    case 'source-resets':
      return fake.faults.onRequest(() => {
        if (random.chance(0.15)) fake.faults.resetNext(1);
      });
    case 'source-hung-requests':
      return fake.faults.onRequest(() => {
        if (random.chance(0.05)) fake.faults.timeoutNext(1);
      });
    case 'source-clock-jump': {
      let jumped = false;
      return fake.faults.onRequest(() => {
        if (jumped || !random.chance(0.2)) return;
        jumped = true;
        fake.clock.advance(random.int(1, 48) * 3600_000);
      });
    }
    case 'job-clock-jump': {
      let jumped = false;
      return fake.faults.onRequest(() => {
        if (jumped || !random.chance(0.2)) return;
        jumped = true;
        job.skewMs += random.pick([-1, 1]) * random.int(1, 120) * 60_000;
      });
    }
    case 'sink-down':
      void sink.down();
      return () => sink.up();
    case 'sink-5xx-burst':
      sink.failNext(random.int(1, 6), random.pick([500, 502, 503]));
      return () => sink.recover();
    case 'sink-ack-past-deadline':
      // The sink stores the batch but answers after the run was stopped (its deadline, SIGTERM): never acknowledged.
      sink.slowAcks(1, 800, () => setTimeout(() => job.abort.abort(new Error('deadline')), 100));
      return () => sink.recover();
  }
}

describe(`source and sink faults over ${runs} consecutive runs (seed ${seed})`, () => {
  it('every run ends Succeeded or Failed with no cursor past an unacknowledged record; a quiet run then leaves nothing missing', { timeout: Math.max(120_000, runs * 20_000) }, async () => {
    const random = seededRandom(seed);
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 5 * 24 * 3600_000;
    const ids = {
      tickets: new Set(fake.data.addTickets(300, (i) => ({ created_at: at(baseMs, i * 60), updated_at: at(baseMs, i * 60 + (i % 3)) }))),
      contacts: new Set(fake.data.addContacts(150, (i) => ({ created_at: at(baseMs, i * 60), updated_at: at(baseMs, i * 60) }))),
    };
    const config = configFor(world, streams);
    let state: JobState = { version: 1, streams: {} };
    const outcomes: Record<string, number> = {};
    const used = new Set<Fault>();
    for (let round = 1; round <= runs; round++) {
      const faults = [...new Set(Array.from({ length: random.int(1, 3) }, () => random.pick(allFaults)))];
      faults.forEach((f) => used.add(f));
      const job = { skewMs: 0, abort: new AbortController() };
      const clock: Clock = { nowMs: () => world.clock.nowMs() + job.skewMs, sleep: (ms, signal) => world.clock.sleep(ms, signal) };
      const undo = faults.map((f) => arm(f, random, job));
      // Edits and new records while the run goes on.
      let writes = 0;
      const stopWrites = fake.faults.onRequest(() => {
        if (writes >= 30 || !random.chance(0.1)) return;
        writes++;
        if (random.chance(0.2)) ids.tickets.add(fake.data.addTickets(1)[0]!);
        else if (random.chance(0.5)) fake.data.updateTicket(random.pick([...ids.tickets]), { subject: `round ${round} write ${writes}` });
        else fake.data.updateContact(random.pick([...ids.contacts]), { job_title: `round ${round} write ${writes}` });
      });
      const run = await runInProcess(world, config, state, { ignoreIntervals: true, clock, signal: job.abort.signal });
      stopWrites();
      for (const u of undo) await u();
      fake.faults.clear();
      const why = `run ${round} with ${faults.join(', ')}: ${JSON.stringify(run.result).slice(0, 1500)}`;
      expect(['Succeeded', 'PartiallySucceeded', 'Failed'], why).toContain(run.result.outcome);
      expect([0, 1, 3], why).toContain(run.exitCode);
      outcomes[run.result.outcome] = (outcomes[run.result.outcome] ?? 0) + 1;
      state = mergeState(state, run.result).state;
      const source = sourceNow(ids);
      for (const stream of streams) expect(behindCursorNotHeld(stream, state.streams[stream]?.cursor, source[stream]!), why).toEqual([]);
      fake.clock.advance(random.int(1, 30) * 60_000);
    }

    // Quiet: every fault gone, the last writes made; one run brings the sink up to date.
    fake.clock.advance(10 * 60_000);
    const last = await runInProcess(world, config, state, { ignoreIntervals: true });
    expect(last.exitCode, JSON.stringify(last.result)).toBe(0);
    const source = sourceNow(ids);
    const missing = streams.flatMap((stream) => {
      const held = world.sink.latest('acme', stream);
      return [...source[stream]!].filter(([id, updatedAt]) => Date.parse(held.get(`${stream}/${id}`)?.updatedAt ?? '') !== updatedAt).map(([id]) => `${stream} ${id}`);
    });
    expect(missing).toEqual([]);
    expect(world.sink.idempotencyViolations).toEqual([]);
    expect(fake.violations, 'requests sent while a Retry-After was pending').toEqual([]);
    console.log(`[job-faults] seed ${seed}: ${runs} runs → ${JSON.stringify(outcomes)}; faults used: ${[...used].join(', ')}`);
    reportScenario({
      scenario: 'Source and sink faults on the sync job',
      rounds: `${runs} runs + 1 quiet run`,
      checked: `outcomes ${Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; after each run no cursor past an unacknowledged record; after the quiet run every record's current version in the sink; faults: ${[...used].join(', ')}`,
      lost: `${missing.length} records`,
      seed,
    });
  });
});
