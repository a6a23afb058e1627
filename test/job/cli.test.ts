// The real `sync-job` program, spawned as a process: the README's local flow with --write-state, SIGTERM
// mid-run, config errors, the stdout sink, and secrets never written anywhere (output, result, state).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultSchema, stateSchema, type JobConfig } from '../../sync-job/contract.js';
import { builtSyncJob, skipWithoutBuild } from '../support/build-output.js';
import { allStreams, apiKey, at, changedIds, secretForms, sinkToken, spawnBin, spawnJob, tempDir, type World, startWorld } from './support.js';

let world: World;
let dir: string;
beforeEach(async () => {
  world = await startWorld();
  dir = tempDir();
});
afterEach(async () => world.close());

const secrets = secretForms(apiKey, sinkToken, 'wrong-key-7654321');
const env = { TENANTSYNC_SOURCE_API_KEY: apiKey, TENANTSYNC_SINK_TOKEN: sinkToken };

function writeConfig(config: JobConfig): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

function localConfig(streams: readonly string[] = allStreams, intervalSeconds = 1): JobConfig {
  return {
    tenantId: 'acme',
    source: { type: 'freshdesk', baseUrl: world.fake.baseUrl, streams: streams.map((name) => ({ name: name as JobConfig['source']['streams'][number]['name'], intervalSeconds })) },
    sink: { type: 'http', url: world.sink.url },
  };
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

const idsOf = (deliveries: typeof world.sink.deliveries, stream: string) =>
  deliveries.filter((d) => d.body.stream === stream).flatMap((d) => d.body.records.map((r) => r.id)).sort();

describe('sync-job CLI', () => {
  it('runs the README flow: --config --state --write-state, then a second invocation (by env) is incremental', async () => {
    const demo = world.fake.seedDemo(); // spread over 45 days: older than Freshdesk's 30-day default
    const changed = [5, 6, 7].find((id) => !demo.deletedTicketIds.includes(id) && !demo.spamTicketIds.includes(id))!;
    const config = writeConfig(localConfig());
    const state = join(dir, 'state.json');
    const result = join(dir, 'result.json');
    const args = ['--config', config, '--state', state, '--write-state'];

    const first = await spawnJob([...args, '--result', result], env).done;
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const saved = stateSchema.parse(JSON.parse(readFileSync(state, 'utf8')));
    const firstResult = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(firstResult.outcome).toBe('Succeeded');
    for (const stream of allStreams) {
      expect(saved.streams[stream]?.lastSuccessAt).toBeDefined();
      expect(firstResult.streams[stream]).toMatchObject({ outcome: 'Succeeded', cursor: saved.streams[stream]!.cursor });
    }
    expect(saved.streams.tickets!.cursor.updatedAt).toBeDefined();
    expect(firstResult.streams.tickets!.cursor).toEqual(saved.streams.tickets!.cursor);
    // Every ticket that is neither deleted nor spam, the ones created more than 30 days ago included.
    const hidden = [...demo.deletedTicketIds, ...demo.spamTicketIds];
    const visible = Array.from({ length: demo.tickets }, (_, i) => i + 1).filter((id) => !hidden.includes(id));
    expect(visible.some((id) => Date.parse(world.fake.data.ticket(id).created_at as string) < Date.now() - 30 * 24 * 3600 * 1000)).toBe(true);
    expect(idsOf(world.sink.deliveries, 'tickets')).toEqual(visible.map(String).sort());
    expect(firstResult.streams.tickets!.records).toBe(visible.length);
    const firstCount = world.sink.deliveries.length;

    world.fake.data.updateTicket(changed, { subject: 'changed between runs' });
    const [contact] = world.fake.data.addContacts(1);
    await new Promise((r) => setTimeout(r, 1_100)); // the streams' 1 s interval must pass

    // The same run configured by the contract's env variables instead of flags.
    const second = await spawnJob(['--write-state'], { ...env, TENANTSYNC_CONFIG: config, TENANTSYNC_STATE: state, TENANTSYNC_RESULT: result }).done;
    expect(second.code).toBe(0);
    const secondResult = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(secondResult.outcome).toBe('Succeeded');
    // New records: the changed ticket and contact; the rest re-read by the lookback is counted as such.
    for (const stream of ['tickets', 'contacts'] as const) expect(secondResult.streams[stream]!.records - (secondResult.streams[stream]!.redelivered ?? 0)).toBe(1);
    expect(stateSchema.parse(JSON.parse(readFileSync(state, 'utf8'))).streams.tickets!.cursor).toEqual(secondResult.streams.tickets!.cursor);
    // With an hourly interval nothing is due now; --force runs every stream anyway (and finds nothing new).
    writeConfig(localConfig(allStreams, 3600));
    // A flag wins over its env variable: these env paths are never read or written.
    const ignored = { TENANTSYNC_CONFIG: join(dir, 'no-such-config.json'), TENANTSYNC_RESULT: join(dir, 'env-result.json') };
    const third = await spawnJob([...args, '--result', result], { ...env, ...ignored }).done;
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('"tickets":"NotDue 0"');
    expect(resultSchema.parse(JSON.parse(readFileSync(result, 'utf8'))).streams.tickets!.outcome).toBe('NotDue');
    expect(existsSync(ignored.TENANTSYNC_RESULT)).toBe(false);
    const forced = await spawnJob([...args, '--force'], env).done;
    expect(forced.stdout).toMatch(/"tickets":"Succeeded (0|(\d+) \(\2 re-read\))"/);
    expect(changedIds(world.sink, 'tickets', firstCount)).toEqual([String(changed)]);
    expect(changedIds(world.sink, 'contacts', firstCount)).toEqual([String(contact)]);
    expect(changedIds(world.sink, 'conversations', firstCount)).toEqual([]);
    expect(changedIds(world.sink, 'deleted_tickets', firstCount)).toEqual([]);
    const logs = second.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(logs.at(-1)).toMatchObject({ msg: 'run finished', outcome: 'Succeeded', tenantId: 'acme' });
    expect(logs.every((l) => typeof l.runId === 'string')).toBe(true);
    expect(world.sink.idempotencyViolations).toEqual([]);
    expectNoSecrets(first.stdout, first.stderr, second.stdout, second.stderr, readFileSync(state, 'utf8'), readFileSync(result, 'utf8'));
  });

  it('on SIGTERM mid-run writes the result (and state) with the last acknowledged cursor, exit 1', async () => {
    const baseMs = Date.now() - 24 * 3600 * 1000;
    world.fake.data.addTickets(50_000, (i) => ({ updated_at: at(baseMs, i) }));
    const config = writeConfig(localConfig(['tickets', 'contacts'], 3600));
    const result = join(dir, 'result.json');
    const state = join(dir, 'state.json');
    const job = spawnJob(['--config', config, '--state', state, '--write-state', '--result', result], env);
    world.sink.onAttempt(() => {
      if (world.sink.deliveries.length === 5) job.kill('SIGTERM');
    });
    const exit = await job.done;
    expect(exit.code).toBe(1);
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.outcome).toBe('Failed');
    const tickets = written.streams.tickets!;
    expect(tickets.outcome).toBe('Failed');
    expect(tickets.error).toMatch(/^RUN_ABORTED/);
    expect(written.streams.contacts).toMatchObject({ outcome: 'Failed', error: expect.stringContaining('not started') });
    // The cursor is the last record of an accepted batch, at most one batch behind the receiver (an ack
    // in flight when the signal came is not counted: at-least-once, never a gap).
    const lastOfEach = world.sink.deliveries.map((d) => d.body.records.at(-1)!);
    const index = lastOfEach.findIndex((r) => r.updatedAt === tickets.cursor.updatedAt && tickets.cursor.ids?.includes(String(r.id)));
    expect(index).toBeGreaterThanOrEqual(lastOfEach.length - 2);
    expect(tickets.records).toBe((index + 1) * 100);
    expect(lastOfEach.length).toBeLessThan(500);
    const savedState = stateSchema.parse(JSON.parse(readFileSync(state, 'utf8')));
    expect(savedState.streams.tickets!.cursor).toEqual(tickets.cursor);
    expect(savedState.streams.tickets!.lastSuccessAt).toBeUndefined();
    expectNoSecrets(exit.stdout, exit.stderr, readFileSync(result, 'utf8'));
  });

  it('stops itself a margin before TENANTSYNC_DEADLINE_SECONDS, writing the acknowledged cursor, exit 3', async () => {
    const baseMs = Date.now() - 24 * 3600 * 1000;
    world.fake.data.addTickets(20_000, (i) => ({ updated_at: at(baseMs, i) }));
    world.fake.faults.slowBody(10_000, 200); // every page takes a while: the run cannot finish in time
    const config = writeConfig(localConfig(['tickets', 'contacts'], 3600));
    const result = join(dir, 'result.json');
    // 14 s allowed, a 10 s margin: the job stops itself about 4 s in.
    const exit = await spawnJob(['--config', config, '--result', result], { ...env, TENANTSYNC_DEADLINE_SECONDS: '14' }).done;
    expect(exit.code).toBe(3);
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.error).toMatch(/^RUN_DEADLINE: .*spec\.job\.timeout/);
    const tickets = written.streams.tickets!;
    expect(tickets).toMatchObject({ outcome: 'Failed', error: expect.stringMatching(/^RUN_ABORTED/) });
    expect(written.streams.contacts).toMatchObject({ outcome: 'Failed', error: expect.stringContaining('not started') });
    // Part of the data was acknowledged, and the result carries exactly that part's cursor.
    expect(tickets.records).toBeGreaterThan(0);
    expect(tickets.records).toBeLessThan(20_000);
    const lastOfEach = world.sink.deliveries.map((d) => d.body.records.at(-1)!);
    expect(lastOfEach.some((r) => r.updatedAt === tickets.cursor.updatedAt && tickets.cursor.ids?.includes(String(r.id)))).toBe(true);
    expect(exit.stderr).toContain('RUN_DEADLINE');
  });

  it('started after its TENANTSYNC_DEADLINE (a retry with no time left) delivers nothing and exits 3', async () => {
    world.fake.seedDemo();
    const config = writeConfig(localConfig(['tickets']));
    const result = join(dir, 'result.json');
    const exit = await spawnJob(['--config', config, '--result', result], { ...env, TENANTSYNC_DEADLINE: new Date(Date.now() - 1000).toISOString() }).done;
    expect(exit.code).toBe(3);
    expect(resultSchema.parse(JSON.parse(readFileSync(result, 'utf8'))).streams.tickets).toMatchObject({ outcome: 'Failed', records: 0 });
    expect(world.sink.deliveries).toEqual([]);
  });

  it('an unknown flag → exit 2 naming the flag, with the usage', async () => {
    const exit = await spawnJob(['--bogus'], env).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain("'--bogus'");
    expect(exit.stderr).toMatch(/--config/);
    expect(world.sink.deliveries).toEqual([]);
  });

  it('a deadline that is not a time → exit 2 naming TENANTSYNC_DEADLINE', async () => {
    const config = writeConfig(localConfig(['tickets']));
    const exit = await spawnJob(['--config', config], { ...env, TENANTSYNC_DEADLINE: 'soon' }).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/TENANTSYNC_DEADLINE: must be an RFC 3339 time/);
  });

  it('401 → exit 2 with a message naming the credentials; no secret anywhere', async () => {
    world.fake.data.addTickets(5);
    const config = writeConfig(localConfig(['tickets']));
    const result = join(dir, 'result.json');
    const exit = await spawnJob(['--config', config, '--result', result], { ...env, TENANTSYNC_SOURCE_API_KEY: 'wrong-key-7654321' }).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/CREDENTIALS_INVALID: Freshdesk rejected the API key/);
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.error).toContain('credentials');
    expect(written.streams.tickets!.cursor).toEqual({});
    expectNoSecrets(exit.stdout, exit.stderr, readFileSync(result, 'utf8'));
  });

  it('persistent source 5xx and a failing sink: errors in logs and result carry no secret', async () => {
    world.fake.data.addTickets(300);
    world.fake.data.addContacts(5);
    world.fake.faults.failNext(Infinity, 503, { path: 'contacts' });
    world.sink.failNext(2, 500);
    const config = writeConfig(localConfig(['tickets', 'contacts']));
    const result = join(dir, 'result.json');
    const exit = await spawnJob(['--config', config, '--result', result], { ...env, TENANTSYNC_LOG_LEVEL: 'debug' }).done;
    expect(exit.code).toBe(1);
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.outcome).toBe('PartiallySucceeded');
    expect(written.streams.contacts!.error).toMatch(/^SOURCE_UNAVAILABLE/);
    expectNoSecrets(exit.stdout, exit.stderr, readFileSync(result, 'utf8'));
  }, 180_000);

  it('a config with bad fields → exit 2 and a message naming each field; the result says why', async () => {
    const config = localConfig(['tickets']) as unknown as { source: { baseUrl: string }; sink: { batchSize: number } };
    config.source.baseUrl = 'not a url';
    config.sink.batchSize = -5;
    const path = writeConfig(config as unknown as JobConfig);
    const result = join(dir, 'result.json');
    const exit = await spawnJob([], { ...env, TENANTSYNC_CONFIG: path, TENANTSYNC_RESULT: result }).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/CONFIG_INVALID: .*source\.baseUrl: .*sink\.batchSize/);
    expect(resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')))).toMatchObject({ outcome: 'Failed', error: expect.stringContaining('source.baseUrl') });

    const noKey = await spawnJob(['--config', writeConfig(localConfig(['tickets']))], {}).done;
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('TENANTSYNC_SOURCE_API_KEY');
    expect(world.fake.requests).toEqual([]);
  });

  it('the stdout sink prints NDJSON records on stdout and logs on stderr', async () => {
    world.fake.data.addTickets(3);
    const config = localConfig(['tickets']);
    config.sink = { type: 'stdout' };
    const exit = await spawnJob(['--config', writeConfig(config)], { TENANTSYNC_SOURCE_API_KEY: apiKey }).done;
    expect(exit.code).toBe(0);
    const lines = exit.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.tenantId, l.stream, l.op, l.id]).sort()).toEqual([1, 2, 3].map((id) => ['acme', 'tickets', 'upsert', String(id)]));
    expect(exit.stderr).toContain('"msg":"run finished"');
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });
});

// The package's bin as shipped: `npm run build` output, resolved through package.json's `bin` from the repo
// root. CI runs `npm run build` before `npm test`, so there a missing build is a failure, not a skip.
const skipBin = skipWithoutBuild(builtSyncJob) !== undefined;

describe('the built sync-job bin', () => {
  it.skipIf(skipBin)('`npm exec --no -- sync-job --config … --state … --write-state` runs twice: a full run, then an incremental one', async () => {
    expect(existsSync(builtSyncJob), `${builtSyncJob} is missing: run \`npm run build\` before \`npm test\``).toBe(true);
    const baseMs = Date.now() - 90 * 24 * 3600 * 1000;
    const tickets = world.fake.data.addTickets(150, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const contacts = world.fake.data.addContacts(20, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    // intervalSeconds 0: due on every run, so the second invocation need not wait.
    const config = writeConfig(localConfig(['tickets', 'contacts'], 0));
    const state = join(dir, 'state.json');
    const args = ['--config', config, '--state', state, '--write-state'];

    const first = await spawnBin(args, env).done;
    expect(first.code, `stdout:\n${first.stdout}\nstderr:\n${first.stderr}`).toBe(0);
    expect(idsOf(world.sink.deliveries, 'tickets')).toEqual(tickets.map(String).sort());
    expect(idsOf(world.sink.deliveries, 'contacts')).toEqual(contacts.map(String).sort());
    const saved = stateSchema.parse(JSON.parse(readFileSync(state, 'utf8')));
    expect(saved.streams.tickets!.cursor).toEqual({ updatedAt: at(baseMs, 149), ids: [String(tickets[149])] });
    const firstCount = world.sink.deliveries.length;

    world.fake.data.updateTicket(tickets[10]!, { subject: 'changed between runs' });
    const [added] = world.fake.data.addTickets(1);
    world.fake.data.updateContact(contacts[3]!, { name: 'renamed' });

    const second = await spawnBin(args, env).done;
    expect(second.code, `stdout:\n${second.stdout}\nstderr:\n${second.stderr}`).toBe(0);
    expect(changedIds(world.sink, 'tickets', firstCount)).toEqual([tickets[10], added].map(String).sort());
    expect(changedIds(world.sink, 'contacts', firstCount)).toEqual([String(contacts[3])]);
    const logs = second.stdout.trim().split('\n').map((line) => JSON.parse(line));
    // The unchanged 149 tickets and 19 contacts lie within the 5-minute lookback of the cursors: re-read and counted.
    expect(logs.at(-1)).toMatchObject({ msg: 'run finished', outcome: 'Succeeded', streams: { tickets: 'Succeeded 151 (149 re-read)', contacts: 'Succeeded 20 (19 re-read)' } });
    expect(world.sink.idempotencyViolations).toEqual([]);
    expectNoSecrets(first.stdout, first.stderr, second.stdout, second.stderr, readFileSync(state, 'utf8'));
  });
});
