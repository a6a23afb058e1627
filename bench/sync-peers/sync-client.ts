// What the benchmark asks of each client (our sync job, Airbyte's source, Singer's tap): one run, the first
// from nothing and each later one from the state the client emitted in the run before.
import type { EmittedRecords } from './record-messages.js';

/** One run of a client: what it emitted, how long its process took, its exit code. */
export interface PeerRun {
  emitted: EmittedRecords;
  ms: number;
  code: number | null;
  /** The last lines of stderr (and of non-message stdout), for the report when a peer fails. */
  logTail: string[];
}

export type ClientName = 'sync-job' | 'airbyte' | 'singer';
export const clientNames: readonly ClientName[] = ['sync-job', 'airbyte', 'singer'];

export interface SyncClient {
  readonly name: ClientName;
  /** One run of the tickets stream; `resume`: from the state the previous run emitted (an incremental run). */
  run(resume: boolean): Promise<PeerRun>;
}

/** Where a client reaches the fake and how it authenticates. */
export interface ClientSetup {
  /** A directory of its own for config, catalog and state files. */
  dir: string;
  apiKey: string;
  /** Environment of a Python peer (PATH, HOME, name redirect, CA). */
  pythonEnv: NodeJS.ProcessEnv;
}

/** The start of time for every client: all tickets are newer. */
export const startDate = '2000-01-01T00:00:00Z';
