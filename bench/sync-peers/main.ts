// Benchmark (not a test): our sync job against Airbyte's source-freshdesk and Singer's tap-freshdesk (both from
// PyPI, in virtualenvs the bench makes once) on the same Freshdesk fake, served over TLS as
// https://bench.freshdesk.com (bench/sync-peers/tls-redirect.ts), the tickets stream.
//   npm run bench -- peers [--tickets 20000] [--edits-per-second 5] [--only airbyte,singer,sync-job] [--cases throughput,loss]
// 1. Throughput: one fake, no rate limit, no latency, `--tickets` tickets; each client once, one after another;
//    records/min = distinct (id, updated_at) versions emitted (peers: RECORD messages on stdout; ours: records
//    the sink receiver accepted) over the wall time of the process, start-up included; ratio sync-job / peer.
// 2. Deep-paging loss: per client a fresh fake with the same tickets; while its first run pages, agents edit
//    `--edits-per-second` tickets a second (ticket-edits.ts); after it, one more incremental run from the state
//    it emitted, with no edits. Lost = tickets whose newest version no run of the client emitted. Edits come per
//    second, so a slower client meets more of them (as it would at a real help desk); lost/edit compares them.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFreshdeskFake, type FreshdeskFake } from '../../test/fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../../test/fakes/sink/index.js';
import { buildSyncJob } from '../support.js';
import { airbyteClient } from './airbyte-runner.js';
import { lostRecords } from './loss-check.js';
import { singerClient } from './singer-runner.js';
import { clientNames, type ClientName, type PeerRun, type SyncClient } from './sync-client.js';
import { syncJobClient } from './sync-job-runner.js';
import { startTicketEdits } from './ticket-edits.js';
import { startFreshdeskTls, type FreshdeskTls } from './tls-redirect.js';
import { venvRoot } from './venv.js';

const { values } = parseArgs({
  options: {
    tickets: { type: 'string', default: '20000' },
    'edits-per-second': { type: 'string', default: '5' },
    only: { type: 'string' },
    cases: { type: 'string', default: 'throughput,loss' },
  },
});
const ticketCount = Number(values.tickets);
const editsPerSecond = Number(values['edits-per-second']);
const only = values.only?.split(',') ?? [...clientNames];
const unknown = only.filter((name) => !clientNames.includes(name as ClientName));
if (!Number.isInteger(ticketCount) || ticketCount < 1) throw new Error(`--tickets must be a whole number ≥ 1, got ${values.tickets}`);
if (!(editsPerSecond >= 0)) throw new Error(`--edits-per-second must be a number ≥ 0, got ${values['edits-per-second']}`);
if (unknown.length > 0) throw new Error(`--only: unknown client ${unknown.join(', ')}; allowed: ${clientNames.join(', ')}`);
const cases = values.cases.split(',');
const unknownCases = cases.filter((name) => name !== 'throughput' && name !== 'loss');
if (unknownCases.length > 0) throw new Error(`--cases: unknown case ${unknownCases.join(', ')}; allowed: throughput, loss`);
const apiKey = 'bench-api-key';
const sinkToken = 'bench-sink-token';
const dir = mkdtempSync(join(tmpdir(), 'tenant-sync-bench-peers-'));
const jobMain = buildSyncJob();

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines: string[] = [];
const say = (...texts: string[]) => {
  for (const text of texts) console.log(text);
  lines.push(...texts);
};
say(`cores: ${availableParallelism()}; node ${process.version}; peers' virtualenvs in ${venvRoot()}; work files in ${dir}`);

/** A fake with `ticketCount` tickets, three a second 60 days back (as the throughput bench), no rate limit, and its TLS front. */
async function seededFake(name: string): Promise<{ fake: FreshdeskFake; tls: FreshdeskTls; ids: number[] }> {
  const fake = await startFreshdeskFake({ apiKey, rateLimitPerMinute: 1_000_000_000, maxRecordedRequests: 10 });
  const startMs = Date.now() - 60 * 24 * 3600 * 1000;
  const ids = fake.data.addTickets(ticketCount, (i) => ({ updated_at: new Date(startMs + Math.floor(i / 3) * 1000) }));
  const tls = await startFreshdeskTls(fake.baseUrl, join(dir, name, 'pki'));
  return { fake, tls, ids };
}

async function clientFor(name: ClientName, tls: FreshdeskTls, sink: SinkReceiver, clientDir: string): Promise<SyncClient> {
  mkdirSync(clientDir, { recursive: true });
  const pythonEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...tls.pythonEnv() };
  if (name === 'airbyte') return airbyteClient({ dir: clientDir, apiKey, pythonEnv });
  if (name === 'singer') return singerClient({ dir: clientDir, apiKey, pythonEnv });
  return syncJobClient({ dir: clientDir, jobMain, apiKey, sink, sinkToken, baseUrl: tls.url, caFile: tls.caFile });
}

/** What a failed or short run said last: exit code, errors it reported, its log's last lines. */
function failureOf(run: PeerRun): string[] {
  return [`exit ${run.code}`, ...run.emitted.errors.map((e) => `error: ${e}`), ...run.logTail.slice(-8).map((line) => `  | ${line}`)];
}

let failed = false;
const notes: string[] = [];

if (cases.includes('throughput')) {
  const { fake, tls } = await seededFake('throughput');
  const sink = await startSinkReceiver({ token: sinkToken });
  say('', `throughput: ${fmt(ticketCount)} tickets, no rate limit, no latency, over TLS; one run each, one after another`);
  say('client       records   RECORD msgs   wall s   records/min   requests   exit');
  const rates = new Map<ClientName, number>();
  for (const name of only as ClientName[]) {
    const client = await clientFor(name, tls, sink, join(dir, 'throughput', name));
    const requestsBefore = fake.stats.total;
    const run = await client.run(false);
    const records = run.emitted.versions.size;
    const perMinute = records / (run.ms / 60_000);
    rates.set(name, perMinute);
    say(
      `${name.padEnd(10)} ${fmt(records).padStart(9)} ${fmt(run.emitted.recordMessages).padStart(13)} ${fmt(run.ms / 1000, 1).padStart(8)} ${fmt(perMinute).padStart(13)} ${fmt(fake.stats.total - requestsBefore).padStart(10)}   ${run.code}`,
    );
    if (run.code !== 0 || records !== ticketCount) {
      notes.push(`throughput ${name}: emitted ${records} of ${ticketCount}`, ...failureOf(run));
      if (name === 'sync-job') failed = true;
    }
  }
  const ours = rates.get('sync-job');
  for (const peer of ['airbyte', 'singer'] as const) {
    const theirs = rates.get(peer);
    if (ours !== undefined && theirs !== undefined && theirs > 0) say(`ratio sync-job / ${peer}: ${fmt(ours / theirs, 2)}`);
  }
  await Promise.all([sink.close(), tls.close()]);
  await fake.close();
}

if (cases.includes('loss')) {
  say(
    '',
    `deep-paging loss: ${fmt(ticketCount)} tickets, ${editsPerSecond} edits/s while run 1 pages, then run 2 from the state run 1 emitted (no edits)`,
    'client     edits   run 1 records   run 1 s   run 2 records   run 2 s   lost   lost/edit   exit',
  );
  for (const name of only as ClientName[]) {
    const { fake, tls, ids } = await seededFake(`loss-${name}`);
    const sink = await startSinkReceiver({ token: sinkToken });
    const client = await clientFor(name, tls, sink, join(dir, 'loss', name));
    const edits = startTicketEdits(fake, ids, editsPerSecond);
    const first = await client.run(false);
    const editCount = edits.stop();
    const second = await client.run(true);
    const emitted = new Set([...first.emitted.versions, ...second.emitted.versions]);
    const lost = lostRecords(
      ids.map((id) => ({ id, updatedAt: String(fake.data.ticket(id).updated_at) })),
      emitted,
    );
    say(
      `${name.padEnd(10)} ${String(editCount).padStart(5)} ${fmt(first.emitted.versions.size).padStart(15)} ${fmt(first.ms / 1000, 1).padStart(9)} ${fmt(second.emitted.versions.size).padStart(15)} ${fmt(second.ms / 1000, 1).padStart(9)} ${String(lost.length).padStart(6)} ${(editCount > 0 ? fmt(lost.length / editCount, 2) : '–').padStart(11)}   ${first.code}/${second.code}`,
    );
    if (lost.length > 0) notes.push(`loss ${name}: lost ticket ids (first 20): ${lost.slice(0, 20).join(', ')}`);
    for (const run of [first, second]) if (run.code !== 0) notes.push(`loss ${name}:`, ...failureOf(run));
    if (name === 'sync-job' && (lost.length > 0 || first.code !== 0 || second.code !== 0)) failed = true;
    await Promise.all([sink.close(), tls.close()]);
    await fake.close();
  }
  say('goal: sync-job loses 0');
}

console.log(`\n${[...lines, ...(notes.length ? ['', ...notes] : [])].join('\n')}`);
if (failed) {
  console.log('FAILED: the sync job did not emit every ticket, lost records or exited non-zero');
  process.exitCode = 1;
}
