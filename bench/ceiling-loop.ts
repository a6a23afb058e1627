// The throughput ceiling (run by bench/sync-throughput.ts in its own process): a bare undici loop that pages
// the fake's tickets and posts the same batches to the receiver. No cursor logic beyond re-querying from the
// last second seen (Freshdesk refuses page 301), no retries, no rate budget. Like the job, it reads the next
// page while the receiver takes the batch before (one GET and one POST in flight) and serializes each record
// once, so it is the fastest way to move these pages, not a slower loop.
//   node --import tsx bench/ceiling-loop.ts <freshdesk base url> <sink url> <api key> <sink token> <tenant>
import { Agent, request } from 'undici';
import type { SyncRecord } from '../sync-job/core/record.js';
import { canonicalRecordJson, makeBatch } from '../sync-job/sink/batch.js';

const [baseUrl, sinkUrl, apiKey, sinkToken, tenantId] = process.argv.slice(2) as [string, string, string, string, string];
const dispatcher = new Agent({ connections: 8 });
const authorization = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;

async function post(records: SyncRecord[]): Promise<void> {
  // Each record serialized once, for the body and the batchId, as the job does (anything less lean would flatter it).
  const encoded = records.map(canonicalRecordJson);
  const batch = makeBatch(tenantId, 'tickets', records, undefined, encoded);
  const sent = await request(sinkUrl, {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': batch.batchId, authorization: `Bearer ${sinkToken}` },
    body: `{"tenantId":${JSON.stringify(tenantId)},"stream":"tickets","batchId":"${batch.batchId}","records":[${encoded.join(',')}]}`,
  });
  await sent.body.dump();
  if (sent.statusCode >= 300) throw new Error(`the receiver answered ${sent.statusCode}`);
}

let since = '2000-01-01T00:00:00Z';
let previous = new Set<string>();
let delivered = 0;
let posting: Promise<void> = Promise.resolve();
for (;;) {
  const query = new URLSearchParams({ updated_since: since, order_by: 'updated_at', order_type: 'asc', include: 'description,stats', page: '1', per_page: '100' });
  const response = await request(`${baseUrl}/api/v2/tickets?${query}`, { dispatcher, headers: { authorization } });
  const items = (await response.body.json()) as Array<{ id: number; updated_at: string }>;
  const fresh = items.filter((t) => !previous.has(String(t.id)));
  if (fresh.length > 0) {
    const records: SyncRecord[] = fresh.map((t) => ({ id: String(t.id), op: 'upsert', updatedAt: t.updated_at, data: t }));
    await posting;
    posting = post(records);
    delivered += records.length;
  }
  const hasNext = String(response.headers.link ?? '').includes('rel="next"');
  if (!hasNext || fresh.length === 0) break;
  since = items.at(-1)!.updated_at;
  previous = new Set(items.filter((t) => t.updated_at === since).map((t) => String(t.id)));
}
await posting;
await dispatcher.close();
console.log(JSON.stringify({ delivered }));
