// What a sink is to the run: something that acknowledges a batch (resolves) or fails it with a SyncError.
import type { SinkBatch } from './batch.js';

export interface Sink {
  /**
   * Resolves once the batch is acknowledged; rejects with SINK_* codes (or RUN_ABORTED). `encodedRecords`, when
   * given, are the records' JSON texts in order (the run measured batch bytes with them; no need to encode twice).
   */
  send(batch: SinkBatch, signal?: AbortSignal, encodedRecords?: readonly string[]): Promise<void>;
}
