// The throughput ceiling (run by bench/sync-throughput.ts in its own process): a bare undici loop that pages
// the fake's tickets and posts the same batches to the receiver. No cursor logic beyond re-querying from the
// last second seen (Freshdesk refuses page 301), no retries, no rate budget, one request at a time.
//   node --import tsx bench/ceiling-loop.ts <freshdesk base url> <sink url> <api key> <sink token> <tenant>
import { Agent, request } from 'undici';
import type { SyncRecord } from '../sync-job/core/record.js';
import { makeBatch } from '../sync-job/sink/batch.js';

const [baseUrl, sinkUrl, apiKey, sinkToken, tenantId] = process.argv.slice(2) as [string, string, string, string, string];
const dispatcher = new Agent({ connections: 8 });
const authorization = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;
let since = '2000-01-01T00:00:00Z';
let previous = new Set<string>();
let delivered = 0;
for (;;) {
  const query = new URLSearchParams({ updated_since: since, order_by: 'updated_at', order_type: 'asc', include: 'description,stats', page: '1', per_page: '100' });
  const response = await request(`${baseUrl}/api/v2/tickets?${query}`, { dispatcher, headers: { authorization } });
  const items = (await response.body.json()) as Array<{ id: number; updated_at: string }>;
  const fresh = items.filter((t) => !previous.has(String(t.id)));
  if (fresh.length > 0) {
    const records: SyncRecord[] = fresh.map((t) => ({ id: String(t.id), op: 'upsert', updatedAt: t.updated_at, data: t }));
    const batch = makeBatch(tenantId, 'tickets', records);
    const sent = await request(sinkUrl, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': batch.batchId, authorization: `Bearer ${sinkToken}` },
      body: JSON.stringify(batch),
    });
    await sent.body.dump();
    delivered += records.length;
  }
  const hasNext = String(response.headers.link ?? '').includes('rel="next"');
  if (!hasNext || fresh.length === 0) break;
  since = items.at(-1)!.updated_at;
  previous = new Set(items.filter((t) => t.updated_at === since).map((t) => String(t.id)));
}
await dispatcher.close();
console.log(JSON.stringify({ delivered }));
