// What a sink is to the run: something that acknowledges a batch (resolves) or fails it with a SyncError.
import type { SinkBatch } from './batch.js';

export interface Sink {
  /** Resolves once the batch is acknowledged; rejects with SINK_* codes (or RUN_ABORTED). */
  send(batch: SinkBatch, signal?: AbortSignal): Promise<void>;
}
