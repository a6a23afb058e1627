// The job really running out of memory (issue 11, memory under hostile data): the real program, its heap sized
// from a tiny container memory limit, against tickets whose JSON swells far beyond its bytes once parsed (the
// byte caps on what is in flight cannot see that). The launcher writes the result, Failed with a memory error
// and the cursors of the last acknowledged batch; a run with normal memory continues from them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultSchema, type JobResult, type JobState } from '../../sync-job/contract.js';
import { memoryLimitEnv } from '../../sync-job/core/memory-budget.js';
import { apiKey, at, configFor, deliveredIds, sinkToken, spawnJob, startWorld, tempDir, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const mib = 1024 * 1024;

/** The state the operator keeps from a result: each stream's reported cursor. */
function stateFrom(result: JobResult): JobState {
  return { version: 1, streams: Object.fromEntries(Object.entries(result.streams).map(([name, s]) => [name, { cursor: s.cursor }])) };
}

describe('the sync job out of memory', () => {
  it('dies of OOM mid-run under a tiny memory limit, writes a Failed result with acknowledged cursors only, and a run with normal memory finishes', { timeout: 180_000 }, async () => {
    const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
    // 250 ordinary tickets, then 6 whose custom field holds ~750 KB of `{}`: under the smallest response cap
    // (1 MiB), yet even one of them parses into more objects than a 32 MiB heap holds.
    const swollen = { cf_items: new Array<object>(250_000).fill({}) };
    const ordinary = world.fake.data.addTickets(250, (i) => ({ updated_at: at(baseMs, i) }));
    const hostile = world.fake.data.addTickets(6, (i) => ({ updated_at: at(baseMs, 300 + i), custom_fields: swollen }));
    const dir = tempDir();
    const config = join(dir, 'config.json');
    const state = join(dir, 'state.json');
    const result = join(dir, 'result.json');
    writeFileSync(config, JSON.stringify(configFor(world, ['tickets'])));
    const env = { TENANTSYNC_SOURCE_API_KEY: apiKey, TENANTSYNC_SINK_TOKEN: sinkToken };

    // A 128 MiB container: what is left after Node's own reserve gives the smallest heap, 32 MiB. The result
    // path comes from the env, as a pod's termination message path does.
    const first = await spawnJob(['--config', config], { ...env, TENANTSYNC_RESULT: result, [memoryLimitEnv]: String(128 * mib) }).done;
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(first.code, first.stderr).toBe(1);
    expect(written.outcome).toBe('Failed');
    expect(written.error).toMatch(/OUT_OF_MEMORY .*heap limit 32 MiB.*memory/);
    expect(written.streams.tickets).toMatchObject({ outcome: 'Failed', error: expect.stringMatching(/OUT_OF_MEMORY/) });
    // Some batches were acknowledged before the process ran out of memory, and their cursor reached the result …
    const cursor = written.streams.tickets!.cursor;
    expect(cursor.updatedAt).toBeDefined();
    // … but never past a record the sink did not acknowledge: every ticket at or behind it was delivered.
    const acknowledged = new Set(deliveredIds(world.sink, 'tickets'));
    const behind = [...ordinary, ...hostile].filter((id) => {
      const ticket = world.fake.data.ticket(id);
      return (ticket.updated_at as string) < cursor.updatedAt! || (ticket.updated_at === cursor.updatedAt && cursor.ids!.includes(String(id)));
    });
    expect(behind.length).toBeGreaterThan(0);
    expect(behind.filter((id) => !acknowledged.has(id))).toEqual([]);
    expect(acknowledged.has(hostile.at(-1)!)).toBe(false);

    // The next run, with the cursors the operator kept and normal memory, delivers the rest.
    writeFileSync(state, JSON.stringify(stateFrom(written)));
    const second = await spawnJob(['--config', config, '--state', state, '--result', result, '--force'], { ...env, [memoryLimitEnv]: String(512 * mib) }).done;
    const finished = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(finished.outcome, second.stderr).toBe('Succeeded');
    expect(second.code).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual([...ordinary, ...hostile]);
    expect(finished.streams.tickets!.cursor).toEqual({ updatedAt: at(baseMs, 305), ids: [String(hostile[5])] });
  });
});
