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
    const envelope = { tenantId: batch.tenantId, stream: batch.stream, batchId: batch.batchId, ...(batch.snapshot ? { snapshot: batch.snapshot } : {}) };
    for (const record of batch.records) text += `${JSON.stringify({ ...envelope, ...record })}\n`;
    // A snapshot's completion marker has no records: one line says the snapshot is whole.
    if (batch.records.length === 0) text += `${JSON.stringify(envelope)}\n`;
    this.out.write(text);
  }
}
