// Singer's tap-freshdesk (PyPI 1.0.1): config with domain `bench` (it builds https://bench.freshdesk.com/api/v2),
// its own --discover catalog with only `tickets` selected, and the last STATE's value as --state.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLinesOf, peerClient } from './peer-process.js';
import { startDate, type ClientSetup, type SyncClient } from './sync-client.js';
import { peerProgram } from './venv.js';

interface CatalogEntry {
  tap_stream_id: string;
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

export async function singerClient(setup: ClientSetup): Promise<SyncClient> {
  const program = peerProgram('singer');
  const configFile = join(setup.dir, 'singer-config.json');
  writeFileSync(configFile, JSON.stringify({ api_key: setup.apiKey, domain: 'bench', start_date: startDate, user_agent: 'tenant-sync-bench' }));
  const [catalog] = (await jsonLinesOf(program, ['--config', configFile, '--discover'], setup.pythonEnv)) as [{ streams: CatalogEntry[] }];
  if (!catalog.streams.some((stream) => stream.tap_stream_id === 'tickets')) throw new Error('tap-freshdesk --discover listed no tickets stream');
  // The whole catalog, only tickets selected: the tap looks up the tickets stream's children in it.
  for (const stream of catalog.streams) {
    for (const entry of stream.metadata) if (entry.breadcrumb.length === 0) entry.metadata.selected = stream.tap_stream_id === 'tickets';
  }
  const catalogFile = join(setup.dir, 'singer-catalog.json');
  writeFileSync(catalogFile, JSON.stringify(catalog));
  return peerClient('singer', program, ['--config', configFile, '--catalog', catalogFile], setup, (state) => state);
}
