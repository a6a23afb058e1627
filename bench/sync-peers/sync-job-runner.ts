// Our sync job, compiled as shipped, on the same fake through the same TLS front (https://localhost:<port>,
// the CA trusted through NODE_EXTRA_CA_CERTS), delivering to the sink receiver; its state file is written
// after every acknowledged batch (--write-state) and read by the next run. What it "emitted" is what the
// receiver accepted during the run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SinkReceiver } from '../../test/fakes/sink/index.js';
import { peakRssOf } from '../support.js';
import { emptyEmitted, versionKey } from './record-messages.js';
import type { PeerRun, SyncClient } from './sync-client.js';

export interface SyncJobSetup {
  dir: string;
  jobMain: string;
  apiKey: string;
  sink: SinkReceiver;
  sinkToken: string;
  /** https:// base URL of the fake's TLS front, and its CA file. */
  baseUrl: string;
  caFile: string;
}

export const syncJobTenant = 'bench-peers';

export function syncJobClient(setup: SyncJobSetup): SyncClient & { lastPeakKiB: number } {
  const configFile = join(setup.dir, 'job-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      tenantId: syncJobTenant,
      source: { type: 'freshdesk', baseUrl: setup.baseUrl, streams: [{ name: 'tickets', intervalSeconds: 3600 }], startDate: '2000-01-01T00:00:00Z' },
      sink: { type: 'http', url: setup.sink.url },
    }),
  );
  const stateFile = join(setup.dir, 'job-state.json');
  const client = {
    name: 'sync-job' as const,
    lastPeakKiB: 0,
    async run(resume: boolean): Promise<PeerRun> {
      const before = setup.sink.records(syncJobTenant, 'tickets').length;
      if (!resume) writeFileSync(stateFile, JSON.stringify({ version: 1, streams: {} }));
      const run = await peakRssOf(
        [join(setup.jobMain), '--config', configFile, '--state', stateFile, '--write-state', '--force', '--result', join(setup.dir, 'job-result.json')],
        { PATH: process.env.PATH, TENANTSYNC_SOURCE_API_KEY: setup.apiKey, TENANTSYNC_SINK_TOKEN: setup.sinkToken, NODE_EXTRA_CA_CERTS: setup.caFile },
      );
      client.lastPeakKiB = run.peakKiB;
      const emitted = emptyEmitted();
      for (const record of setup.sink.records(syncJobTenant, 'tickets').slice(before)) {
        emitted.recordMessages++;
        emitted.versions.add(versionKey(record.id, record.updatedAt));
      }
      return { emitted, ms: run.ms, code: run.code, logTail: [] };
    },
  };
  return client;
}
