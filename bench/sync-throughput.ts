// Benchmark (not a test): sync throughput on loopback, the Freshdesk fake and the sink receiver as real HTTP
// servers in this process, the compiled sync job in a child process (as shipped).
//   npm run bench -- throughput [--tickets 200000] [--minutes 0.5] [--only unthrottled|latency|rate-limited]
// 1. Unthrottled: the job's records/s against the ceiling (bench/ceiling-loop.ts, a bare undici loop that
//    pages the same tickets and posts the same batches, in its own process), and the job's peak RSS.
// 2. Latency 250–400 ms per answer, budgets 200/400/700 per minute (the fake's and the job's): records/min
//    of tickets and of conversations against the budget's ceiling (tickets: the plan's ticket list cap
//    (20/100/200 per minute) × 100 per page; conversations, one per ticket: one request each, plus the
//    ticket pages). Each case is sized to
//    `--minutes` of work at the ceiling.
// 3. Rate-limited at 200/min with the job told nothing (it paces by the headers): the 429s it received.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFreshdeskFake, type FreshdeskFake } from '../test/fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../test/fakes/sink/index.js';
import { buildSyncJob, peakRssOf, repoRoot } from './support.js';

const { values } = parseArgs({
  options: { tickets: { type: 'string', default: '200000' }, minutes: { type: 'string', default: '0.5' }, only: { type: 'string' } },
});
const ticketCount = Number(values.tickets);
const minutes = Number(values.minutes);
const runs = (name: string) => values.only === undefined || values.only === name;
const apiKey = 'bench-api-key';
const sinkToken = 'bench-sink-token';
const dir = mkdtempSync(join(tmpdir(), 'tenant-sync-bench-'));
const jobMain = buildSyncJob();
const latencyMs = { min: 250, max: 400 };

interface World {
  fake: FreshdeskFake;
  sink: SinkReceiver;
}

/** Per-minute cap of the tickets (and contacts) list by account budget: Growth 200, Pro 400, Enterprise 700. */
const planListCaps: Record<number, number> = { 200: 20, 400: 100, 700: 200 };

async function world(options: { rateLimitPerMinute: number; latency?: boolean; listCap?: number }, tickets: number, conversations: boolean): Promise<World> {
  const fake = await startFreshdeskFake({
    apiKey,
    rateLimitPerMinute: options.rateLimitPerMinute,
    maxRecordedRequests: 10,
    ...(options.latency ? { latencyMs } : {}),
    ...(options.listCap ? { listCapsPerMinute: { tickets: options.listCap, contacts: options.listCap } } : {}),
  });
  const sink = await startSinkReceiver({ token: sinkToken });
  const startMs = Date.now() - 60 * 24 * 3600 * 1000;
  // Three tickets per second: many same-second boundaries, as in a busy help desk.
  const ids = fake.data.addTickets(tickets, (i) => ({ updated_at: new Date(startMs + Math.floor(i / 3) * 1000) }));
  if (conversations) for (const id of ids) fake.data.addConversation(id, { updated_at: fake.data.ticket(id).updated_at as string }, { touchTicket: false });
  return { fake, sink };
}

async function runJob(w: World, tenantId: string, stream: 'tickets' | 'conversations', rateLimitPerMinute?: number) {
  const configPath = join(dir, `${tenantId}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      tenantId,
      source: { type: 'freshdesk', baseUrl: w.fake.baseUrl, streams: [{ name: stream, intervalSeconds: 3600 }], ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}) },
      sink: { type: 'http', url: w.sink.url },
    }),
  );
  const run = await peakRssOf([jobMain, '--config', configPath, '--result', join(dir, `${tenantId}-result.json`)], {
    PATH: process.env.PATH,
    TENANTSYNC_SOURCE_API_KEY: apiKey,
    TENANTSYNC_SINK_TOKEN: sinkToken,
  });
  return { ...run, delivered: w.sink.records(tenantId, stream).length, tooMany: w.fake.stats.byStatus[429] ?? 0 };
}

async function runCeiling(w: World, tenantId: string) {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/ceiling-loop.ts'), w.fake.baseUrl, w.sink.url, apiKey, sinkToken, tenantId], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  return { code, ms: Date.now() - started, delivered: w.sink.records(tenantId, 'tickets').length };
}

const close = async (w: World) => void (await Promise.all([w.fake.close(), w.sink.close()]));
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines: string[] = [];
/** Lines print as they are measured and again together at the end. */
const say = (...texts: string[]) => {
  for (const text of texts) console.log(text);
  lines.push(...texts);
};
say(`cores: ${availableParallelism()}; node ${process.version}`);
let failed = false;

if (runs('unthrottled')) {
  const w = await world({ rateLimitPerMinute: 1_000_000_000 }, ticketCount, false);
  const ceiling = await runCeiling(w, 'ceiling');
  const job = await runJob(w, 'job', 'tickets');
  await close(w);
  const ceilingRate = (ceiling.delivered / ceiling.ms) * 1000;
  const jobRate = (job.delivered / job.ms) * 1000;
  const rssMiB = job.peakKiB / 1024;
  say(
    '',
    `unthrottled, ${fmt(ticketCount)} tickets      delivered   wall s   records/s   ratio   peak RSS`,
    `ceiling (bare undici loop)     ${fmt(ceiling.delivered).padStart(9)} ${fmt(ceiling.ms / 1000, 1).padStart(8)} ${fmt(ceilingRate).padStart(11)}   1.00`,
    `sync-job                       ${fmt(job.delivered).padStart(9)} ${fmt(job.ms / 1000, 1).padStart(8)} ${fmt(jobRate).padStart(11)}   ${fmt(jobRate / ceilingRate, 2)}   ${fmt(rssMiB, 1)} MiB`,
    `goals: records/s ≥ 0.80× the ceiling (${jobRate / ceilingRate >= 0.8 ? 'met' : 'NOT met'}), RSS ≤ 150 MiB (${rssMiB <= 150 ? 'met' : 'NOT met'})`,
  );
  failed ||= job.code !== 0 || job.delivered !== ticketCount;
}

if (runs('latency')) {
  say('', `latency ${latencyMs.min}–${latencyMs.max} ms     budget/min   delivered   wall s   records/min   ceiling/min   ratio   429s`);
  for (const budget of [200, 400, 700]) {
    for (const stream of ['tickets', 'conversations'] as const) {
      // Sized to `minutes` of work at the budget's ceiling.
      // The plans' ticket list caps (Growth 20, Pro 100, Enterprise 200 per minute) bound the ticket pages.
      const listCap = planListCaps[budget]!;
      const tickets = Math.max(100, Math.round(stream === 'tickets' ? listCap * 100 * minutes : budget * minutes));
      const w = await world({ rateLimitPerMinute: budget, latency: true, listCap }, tickets, stream === 'conversations');
      const job = await runJob(w, `lat-${stream}-${budget}`, stream, budget);
      await close(w);
      const perMinute = job.delivered / (job.ms / 60_000);
      const ceiling = stream === 'tickets' ? listCap * 100 : (budget * 100) / 101;
      say(
        `${stream.padEnd(24)} ${String(budget).padStart(10)} ${fmt(job.delivered).padStart(11)} ${fmt(job.ms / 1000, 1).padStart(8)} ${fmt(perMinute).padStart(13)} ${fmt(ceiling).padStart(13)}   ${fmt(perMinute / ceiling, 2)}   ${job.tooMany}`,
      );
      failed ||= job.code !== 0 || job.delivered !== tickets;
    }
  }
  say('goal: ≥ 0.90× the ceiling for each');
}

if (runs('rate-limited')) {
  // More requests than one minute's budget: the job must wait for the window, told nothing but the headers.
  const budget = 200;
  const tickets = Math.round(budget * 1.1);
  const w = await world({ rateLimitPerMinute: budget }, tickets, true);
  const job = await runJob(w, 'limited', 'conversations');
  await close(w);
  say(
    '',
    `rate-limited at ${budget}/min (job not told; paces by X-Ratelimit headers): conversations of ${tickets} tickets`,
    `delivered ${job.delivered} in ${fmt(job.ms / 1000, 1)} s; 429s received: ${job.tooMany} (goal 0)`,
  );
  failed ||= job.code !== 0 || job.delivered !== tickets;
}

console.log(`\n${lines.join('\n')}`);
if (failed) {
  console.log('FAILED: a run did not deliver every record or exited non-zero');
  process.exitCode = 1;
}
