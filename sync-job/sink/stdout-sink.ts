// The `stdout` sink for local runs: one NDJSON line per record, acknowledged once written.
// With this sink the job's logs go to stderr, so stdout holds nothing but records.
import type { Writable } from 'node:stream';
import type { SinkBatch } from './batch.js';
import type { Sink } from './sink.js';

export class StdoutSink implements Sink {
  constructor(private readonly out: Writable = process.stdout) {}

  async send(batch: SinkBatch): Promise<void> {
    let text = '';
    for (const record of batch.records) {
      text += `${JSON.stringify({ tenantId: batch.tenantId, stream: batch.stream, batchId: batch.batchId, ...record })}\n`;
    }
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }
}
