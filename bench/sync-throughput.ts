// Benchmark (not a test): sync throughput on loopback, the Freshdesk fake and the sink receiver as real HTTP
// servers in this process, the compiled sync job in a child process (as shipped).
//   npm run bench -- throughput [--tickets 200000] [--minutes 3] [--only unthrottled,latency,rate-limited] [--profile DIR]
// 1. Unthrottled: the job's records/s against the ceiling (bench/ceiling-loop.ts, a bare undici loop that pages
//    the same tickets and posts the same batches, one GET and one POST in flight, in its own process), and the
//    job's peak RSS. Run in the order ceiling, job, job, ceiling, each with a fresh receiver, so a machine whose
//    load drifts during the run (and a receiver filling up) weighs on both alike.
// 2. Latency 250–400 ms per answer, the plans' budgets 200/400/700 credits a minute with their ticket-list caps
//    20/100/200 (the fake counts both in credits; a ticket page with include=description,stats costs 3): records/min
//    of tickets and of conversations (one per ticket) against the ceiling, the fastest any client could deliver
//    the same records under that budget (fastestMs): tickets floor(min(list cap, budget) / 3) pages a window,
//    conversations `budget` requests a window (each ticket's, plus one ticket page per 100 tickets). The job is
//    alone on the account here and configured to use all of it (rateLimitSharePercent 100).
// 3. Rate-limited at 200/min (Growth), the job told nothing (it paces by the headers): conversations of tickets
//    with 100 each (a page of 100 per request, so the plan's ceiling is 200 × 100 a minute less the ticket pages),
//    alone (share 100%) and with another client spending 20% of the same account's budget (the job's default
//    share 80%, and 100%); the ceiling is then what the other client leaves; the 429s the job received.
// Cases 2 and 3 spend most of their time waiting on the rate windows: they run side by side, each against its
// own fake (its own account), sized to `--minutes` whole windows of work at the ceiling plus one request.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startFreshdeskFake, type FreshdeskFake } from '../test/fakes/freshdesk/index.js';
import { startSinkReceiver } from '../test/fakes/sink/index.js';
import { buildSyncJob, peakRssOf, repoRoot } from './support.js';

const { values } = parseArgs({
  options: {
    tickets: { type: 'string', default: '200000' },
    minutes: { type: 'string', default: '3' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const ticketCount = Number(values.tickets);
const minutes = Number(values.minutes);
const runs = (name: string) => values.only === undefined || values.only.split(',').includes(name);
const apiKey = 'bench-api-key';
const sinkToken = 'bench-sink-token';
const dir = mkdtempSync(join(tmpdir(), 'tenant-sync-bench-'));
const jobMain = buildSyncJob();
const latencyMs = { min: 250, max: 400 };
/** A ticket page with include=description,stats: 1 credit plus 1 per include (the fake's default, as Freshdesk). */
const ticketPageCredits = 3;
/** Plans (FRESHDESK.md): account credits a minute → the tickets list's own cap a minute. */
const planListCaps: Record<number, number> = { 200: 20, 400: 100, 700: 200 };

interface JobRun {
  delivered: number;
  ms: number;
  peakKiB: number;
  code: number | null;
  tooMany: number;
}

async function seededFake(options: { rateLimitPerMinute: number; latency?: boolean; listCap?: number }, tickets: number, conversationsPerTicket = 0): Promise<FreshdeskFake> {
  const fake = await startFreshdeskFake({
    apiKey,
    rateLimitPerMinute: options.rateLimitPerMinute,
    maxRecordedRequests: 10,
    ...(options.latency ? { latencyMs } : {}),
    ...(options.listCap ? { listCapsPerMinute: { tickets: options.listCap, contacts: options.listCap } } : {}),
  });
  const startMs = Date.now() - 60 * 24 * 3600 * 1000;
  // Three tickets per second: many same-second boundaries, as in a busy help desk.
  const ids = fake.data.addTickets(tickets, (i) => ({ updated_at: new Date(startMs + Math.floor(i / 3) * 1000) }));
  for (const id of ids) {
    const updatedAt = fake.data.ticket(id).updated_at as string;
    for (let c = 0; c < conversationsPerTicket; c++) fake.data.addConversation(id, { updated_at: updatedAt }, { touchTicket: false });
  }
  return fake;
}

/** One run of the compiled job against `fake`, delivering to a fresh receiver. */
async function runJob(
  fake: FreshdeskFake,
  tenantId: string,
  stream: 'tickets' | 'conversations',
  source: { rateLimitPerMinute?: number; rateLimitSharePercent?: number } = {},
  nodeFlags: string[] = [],
): Promise<JobRun> {
  const sink = await startSinkReceiver({ token: sinkToken });
  const configPath = join(dir, `${tenantId}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      tenantId,
      source: { type: 'freshdesk', baseUrl: fake.baseUrl, streams: [{ name: stream, intervalSeconds: 3600 }], ...source },
      sink: { type: 'http', url: sink.url },
    }),
  );
  const tooManyBefore = fake.stats.byStatus[429] ?? 0;
  const run = await peakRssOf([...nodeFlags, jobMain, '--config', configPath, '--result', join(dir, `${tenantId}-result.json`)], {
    PATH: process.env.PATH,
    TENANTSYNC_SOURCE_API_KEY: apiKey,
    TENANTSYNC_SINK_TOKEN: sinkToken,
  });
  const delivered = sink.records(tenantId, stream).length;
  await sink.close();
  return { ...run, delivered, tooMany: (fake.stats.byStatus[429] ?? 0) - tooManyBefore };
}

async function runCeiling(fake: FreshdeskFake, tenantId: string): Promise<{ delivered: number; ms: number; code: number | null }> {
  const sink = await startSinkReceiver({ token: sinkToken });
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/ceiling-loop.ts'), fake.baseUrl, sink.url, apiKey, sinkToken, tenantId], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  const ms = Date.now() - started;
  const delivered = sink.records(tenantId, 'tickets').length;
  await sink.close();
  return { code, ms, delivered };
}

/**
 * Another integration on the same account: `perMinute` requests evenly spread (GET one ticket), which honours
 * nothing; it counts the 429s it got, so the job's own are the fake's total less these.
 */
function otherConsumer(fake: FreshdeskFake, perMinute: number, ticketId: number): { stop(): Promise<void>; requests: number; tooMany: number } {
  const authorization = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;
  const state = { requests: 0, tooMany: 0 };
  const pending = new Set<Promise<void>>();
  const send = () => {
    const done = request(`${fake.baseUrl}/api/v2/tickets/${ticketId}`, { headers: { authorization } })
      .then(async (response) => {
        state.requests++;
        if (response.statusCode === 429) state.tooMany++;
        await response.body.dump();
      })
      .catch(() => undefined)
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  const timer = setInterval(send, 60_000 / perMinute);
  send();
  return {
    get requests() {
      return state.requests;
    },
    get tooMany() {
      return state.tooMany;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

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
  const fake = await seededFake({ rateLimitPerMinute: 1_000_000_000 }, ticketCount);
  const nodeFlags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  say('', `unthrottled, ${fmt(ticketCount)} tickets   order   delivered   wall s   records/s   peak RSS`);
  const rows: Array<{ who: 'ceiling' | 'sync-job'; rate: number }> = [];
  // ceiling, job, job, ceiling: a load that drifts through the run weighs on both alike.
  for (const [order, who] of (['ceiling', 'sync-job', 'sync-job', 'ceiling'] as const).entries()) {
    const run: { delivered: number; ms: number; code: number | null; peakKiB?: number } =
      who === 'ceiling' ? await runCeiling(fake, `ceiling-${order}`) : await runJob(fake, `job-${order}`, 'tickets', {}, nodeFlags);
    const rate = (run.delivered / run.ms) * 1000;
    rows.push({ who, rate });
    const rss = run.peakKiB === undefined ? '' : `${fmt(run.peakKiB / 1024, 1)} MiB`;
    say(`${who.padEnd(28)} ${String(order + 1).padStart(5)} ${fmt(run.delivered).padStart(11)} ${fmt(run.ms / 1000, 1).padStart(8)} ${fmt(rate).padStart(11)}   ${rss}`);
    failed ||= run.code !== 0 || run.delivered !== ticketCount;
    if (run.peakKiB !== undefined) failed ||= run.peakKiB / 1024 > 150;
  }
  await fake.close();
  const [c1, j1, j2, c2] = rows.map((r) => r.rate) as [number, number, number, number];
  const ratio = (j1 + j2) / (c1 + c2);
  say(
    `ratio sync-job / ceiling: ${fmt(ratio, 2)} (pairs: ${fmt(j1 / c1, 2)} and ${fmt(j2 / c2, 2)})`,
    `goals: records/s ≥ 0.80× the ceiling (${ratio >= 0.8 ? 'met' : 'NOT met'}), RSS ≤ 150 MiB (see rows)`,
  );
}

/**
 * The fastest any client could deliver a workload under a per-minute budget: Freshdesk's window opens with the
 * first request, so it spends a whole window's credits at once, waits for the next window, and so on; the last
 * window's requests take one answer's latency. `units` are whole requests' worth of work (a page, a conversation).
 */
function fastestMs(units: number, unitsPerWindow: number, latencyFloorMs: number): number {
  return (Math.ceil(units / unitsPerWindow) - 1) * 60_000 + latencyFloorMs;
}

/** Conversation requests plus one ticket page per 100 tickets (the parents): 1 credit each. */
const conversationCredits = (tickets: number) => tickets + Math.ceil(tickets / 100);

/** The most tickets whose conversations fit `credits` (see conversationCredits). */
const ticketsForCredits = (credits: number) => {
  let tickets = Math.floor((credits * 100) / 101);
  while (conversationCredits(tickets + 1) <= credits) tickets++;
  return tickets;
};

interface WindowCase {
  label: string;
  budget: number;
  /** Records the job must deliver. */
  expected: number;
  /** The fastest any client could deliver them under the budget (fastestMs). */
  fastestMs: number;
  run(): Promise<JobRun & { note?: string }>;
}

const windowCases: WindowCase[] = [];
// Each case is `minutes` whole windows of work plus one request more, so the fastest client needs `minutes`
// minutes and a latency: a workload of exactly whole windows would let a client that bursts at each window's
// start finish a window early, and the ratio would flatter it.
if (runs('latency')) {
  for (const budget of [200, 400, 700]) {
    const listCap = planListCaps[budget]!;
    // Whole pages a window: a credit left over does not carry into the next one.
    const pagesPerWindow = Math.floor(Math.min(listCap, budget) / ticketPageCredits);
    const pages = minutes * pagesPerWindow + 1;
    windowCases.push({
      label: `latency: tickets, list cap ${listCap}`,
      budget,
      expected: pages * 100,
      fastestMs: fastestMs(pages, pagesPerWindow, latencyMs.min),
      run: async () => {
        const fake = await seededFake({ rateLimitPerMinute: budget, latency: true, listCap }, pages * 100);
        // Alone on the account: the job may spend all of it (its default share is 80%; see rate-limited).
        const run = await runJob(fake, `lat-tickets-${budget}`, 'tickets', { rateLimitPerMinute: budget, rateLimitSharePercent: 100 });
        await fake.close();
        return run;
      },
    });
    const tickets = ticketsForCredits(minutes * budget + 1);
    windowCases.push({
      label: 'latency: conversations',
      budget,
      expected: tickets,
      fastestMs: fastestMs(conversationCredits(tickets), budget, latencyMs.min),
      run: async () => {
        const fake = await seededFake({ rateLimitPerMinute: budget, latency: true, listCap }, tickets, 1);
        const run = await runJob(fake, `lat-conversations-${budget}`, 'conversations', { rateLimitPerMinute: budget, rateLimitSharePercent: 100 });
        await fake.close();
        return run;
      },
    });
  }
}

if (runs('rate-limited')) {
  const budget = 200;
  const perTicket = 100;
  const limited = (label: string, otherPerMinute: number, sharePercent: number | undefined): WindowCase => {
    // The fastest client gets what the other one leaves.
    const left = budget - otherPerMinute;
    const tickets = ticketsForCredits(minutes * left + 1);
    return {
      label,
      budget,
      expected: tickets * perTicket,
      fastestMs: fastestMs(conversationCredits(tickets), left, 0),
      run: async () => {
        const fake = await seededFake({ rateLimitPerMinute: budget, listCap: planListCaps[budget] }, tickets, perTicket);
        const other = otherPerMinute > 0 ? otherConsumer(fake, otherPerMinute, 1) : undefined;
        const run = await runJob(fake, `limited-${otherPerMinute}-${sharePercent ?? 'default'}`, 'conversations', sharePercent ? { rateLimitSharePercent: sharePercent } : {});
        await other?.stop();
        await fake.close();
        // Against the whole plan (as if nobody else spent): budget × 100 records a page, less the ticket pages.
        const planPerMinute = (budget * perTicket * 100) / 101;
        return {
          ...run,
          tooMany: run.tooMany - (other?.tooMany ?? 0),
          note: other ? `; vs the whole plan's ${fmt(planPerMinute)}/min: ${fmt(run.delivered / (run.ms / 60_000) / planPerMinute, 2)}; the other client: ${other.requests} requests, ${other.tooMany} 429s` : '',
        };
      },
    };
  };
  windowCases.push(limited('rate-limited: alone, share 100%', 0, 100));
  windowCases.push(limited('rate-limited: other client 20%, share 80% (default)', 40, undefined));
  windowCases.push(limited('rate-limited: other client 20%, share 100%', 40, 100));
}

if (windowCases.length > 0) {
  say(
    '',
    `latency ${latencyMs.min}–${latencyMs.max} ms (latency rows); ${minutes} windows of work + 1 request; cases side by side`,
    'ceiling/min: the fastest any client could deliver the same records under the budget (whole windows at once)',
    `case                                               budget/min   delivered   wall s   records/min   ceiling/min   ratio   429s`,
  );
  const results = await Promise.all(windowCases.map(async (c) => ({ c, run: await c.run() })));
  for (const { c, run } of results) {
    const perMinute = run.delivered / (run.ms / 60_000);
    const ceilingPerMinute = c.expected / (c.fastestMs / 60_000);
    say(
      `${c.label.padEnd(50)} ${String(c.budget).padStart(10)} ${fmt(run.delivered).padStart(11)} ${fmt(run.ms / 1000, 1).padStart(8)} ${fmt(perMinute).padStart(13)} ${fmt(ceilingPerMinute).padStart(13)}   ${fmt(perMinute / ceilingPerMinute, 2)}   ${run.tooMany}${run.note ?? ''}`,
    );
    failed ||= run.code !== 0 || run.delivered !== c.expected;
  }
  say('goals: latency rows ≥ 0.90× the ceiling; rate-limited alone ≥ 0.95× with 0 429s; with another client: 429s bounded');
}

console.log(`\n${lines.join('\n')}`);
if (failed) {
  console.log('FAILED: a run did not deliver every record, went over 150 MiB or exited non-zero');
  process.exitCode = 1;
}
