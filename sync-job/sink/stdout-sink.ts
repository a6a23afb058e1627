// The `stdout` sink for local runs: one NDJSON line per record, acknowledged once written.
// With this sink the job's logs go to stderr, so stdout holds nothing but records.
import pino from 'pino';
import type { SinkBatch } from './batch.js';
import type { Sink } from './sink.js';

export class StdoutSink implements Sink {
  /** Synchronous writes to the file descriptor (pino's SonicBoom retries a full pipe instead of failing). */
  private readonly out: { write(text: string): unknown };

  constructor(fd = 1) {
    this.out = pino.destination({ fd, sync: true });
  }

  async send(batch: SinkBatch): Promise<void> {
    let text = '';
    for (const record of batch.records) {
      text += `${JSON.stringify({ tenantId: batch.tenantId, stream: batch.stream, batchId: batch.batchId, ...record })}\n`;
    }
    this.out.write(text);
  }
}
