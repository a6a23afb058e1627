// Benchmark (not a test): syncs 200,000 tickets from the Freshdesk fake to the sink receiver with the
// compiled sync-job in a child process and reports its peak RSS against the 150 MiB target and baselines;
// then the same job on hostile data: tickets and their conversations, one ticket carrying 40 conversations
// with 2 MiB bodies (160 MiB of JSON for that one ticket), also under the target.
//
//   npm run bench -- memory [--tickets 200000] [--hostile-conversations 40]   (also: npm run bench:sync)
// Baselines measured in the same run: an idle node process, and the same job syncing 1,000 tickets;
// a flat ratio between the 1k and the 200k run is what "bounded memory" looks like. The job runs as
// shipped (`node dist/sync-job/main.js`, no node flags): the bin itself sets its worker's heap limits.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFreshdeskFake } from '../test/fakes/freshdesk/index.js';
import { startSinkReceiver } from '../test/fakes/sink/index.js';
import { buildSyncJob, peakRssOf } from './support.js';

const targetMiB = 150;
const { values } = parseArgs({ options: { tickets: { type: 'string', default: '200000' }, 'hostile-conversations': { type: 'string', default: '40' } } });
const ticketCount = Number(values.tickets);
const hostileConversations = Number(values['hostile-conversations']);
const hostileBodyBytes = 1024 * 1024;

const mib = (kib: number) => kib / 1024;

const jobMain = buildSyncJob();

const apiKey = 'bench-api-key';
const sinkToken = 'bench-sink-token';
const dir = mkdtempSync(join(tmpdir(), 'tenant-sync-bench-'));

/**
 * One sync of `count` tickets from a fresh fake to a fresh receiver, in a child process. With `hostile`, the
 * conversations stream runs too, every ticket has a short reply and the middle one `hostile` huge ones.
 */
async function syncTickets(count: number, tenantId: string, hostile = 0) {
  const fake = await startFreshdeskFake({ apiKey, rateLimitPerMinute: 1_000_000_000, maxRecordedRequests: 10 });
  const sink = await startSinkReceiver({ token: sinkToken });
  const startMs = Date.now() - 60 * 24 * 3600 * 1000;
  // Three tickets per second: many same-second boundaries, as in a busy help desk.
  const ids = fake.data.addTickets(count, (i) => ({ updated_at: new Date(startMs + Math.floor(i / 3) * 1000) }));
  const streams = [{ name: 'tickets', intervalSeconds: 3600 }];
  if (hostile > 0) {
    streams.push({ name: 'conversations', intervalSeconds: 3600 });
    const target = ids[Math.floor(ids.length / 2)]!;
    for (const id of ids) fake.data.addConversation(id, { updated_at: fake.data.ticket(id).updated_at as string }, { touchTicket: false });
    const text = 'x'.repeat(hostileBodyBytes);
    for (let i = 0; i < hostile; i++) {
      fake.data.addConversation(target, { body: `<div>${text}</div>`, body_text: text, updated_at: fake.data.ticket(target).updated_at as string }, { touchTicket: false });
    }
  }
  const configPath = join(dir, `${tenantId}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      tenantId,
      source: { type: 'freshdesk', baseUrl: fake.baseUrl, streams },
      sink: { type: 'http', url: sink.url },
    }),
  );
  const run = await peakRssOf([jobMain, '--config', configPath, '--result', join(dir, `${tenantId}-result.json`)], {
    PATH: process.env.PATH,
    TENANTSYNC_SOURCE_API_KEY: apiKey,
    TENANTSYNC_SINK_TOKEN: sinkToken,
  });
  const delivered = sink.records(tenantId).length;
  await Promise.all([fake.close(), sink.close()]);
  return { ...run, delivered };
}

const idle = await peakRssOf(['-e', 'setTimeout(() => {}, 1000)'], { PATH: process.env.PATH });
const small = await syncTickets(1_000, 'bench-small');
const big = await syncTickets(ticketCount, 'bench-big');
const hostile = await syncTickets(1_000, 'bench-hostile', hostileConversations);
const hostileExpected = 2 * 1_000 + hostileConversations;

const rows = [
  ['idle node process', idle.peakKiB, '-', '-'],
  ['sync-job, 1,000 tickets', small.peakKiB, small.delivered, small.ms],
  [`sync-job, ${ticketCount.toLocaleString('en')} tickets`, big.peakKiB, big.delivered, big.ms],
  [`1,000 tickets + ${hostileConversations}×2 MiB replies`, hostile.peakKiB, hostile.delivered, hostile.ms],
] as const;
console.log('\nrun                              peak RSS   delivered   wall ms');
for (const [name, kib, delivered, ms] of rows) {
  console.log(`${name.padEnd(32)} ${mib(kib).toFixed(1).padStart(6)} MiB ${String(delivered).padStart(11)} ${String(ms).padStart(9)}`);
}
console.log(`
peak RSS of the ${ticketCount.toLocaleString('en')}-ticket sync: ${mib(big.peakKiB).toFixed(1)} MiB
  vs target ${targetMiB} MiB:            ${(mib(big.peakKiB) / targetMiB).toFixed(2)}× (${mib(big.peakKiB) <= targetMiB ? 'within' : 'OVER'} target)
  vs idle node process:         ${(big.peakKiB / idle.peakKiB).toFixed(2)}×
  vs the 1,000-ticket sync:     ${(big.peakKiB / small.peakKiB).toFixed(2)}× for ${(ticketCount / 1000).toFixed(0)}× the records
throughput: ${Math.round((big.delivered / big.ms) * 1000).toLocaleString('en')} records/s (wall clock, fake and receiver in the bench process)
peak RSS with one ticket of ${hostileConversations} 2 MiB conversations: ${mib(hostile.peakKiB).toFixed(1)} MiB (${mib(hostile.peakKiB) <= targetMiB ? 'within' : 'OVER'} target)
exit codes: small ${small.code}, big ${big.code}, hostile ${hostile.code}; delivered ${big.delivered.toLocaleString('en')} of ${ticketCount.toLocaleString('en')}, hostile ${hostile.delivered} of ${hostileExpected}`);
const overTarget = [big, hostile].filter((run) => mib(run.peakKiB) > targetMiB);
for (const run of overTarget) console.log(`FAILED: peak RSS ${mib(run.peakKiB).toFixed(1)} MiB is over the ${targetMiB} MiB target`);
if (overTarget.length > 0 || big.code !== 0 || small.code !== 0 || hostile.code !== 0 || big.delivered !== ticketCount || hostile.delivered !== hostileExpected) {
  process.exitCode = 1;
}
