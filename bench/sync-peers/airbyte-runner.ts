// Airbyte's source-freshdesk (PyPI airbyte-source-freshdesk 3.1.3, airbyte-cdk 0.90): config with domain
// `bench.freshdesk.com` (its spec allows only *.freshdesk.com), a configured catalog of the `tickets` stream
// from its own `discover`, incremental on updated_at, and the last STATE message's state as --state.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLinesOf, peerClient } from './peer-process.js';
import { startDate, type ClientSetup, type SyncClient } from './sync-client.js';
import { peerProgram } from './venv.js';

interface AirbyteStream {
  name: string;
  json_schema: unknown;
  supported_sync_modes: string[];
}

export async function airbyteClient(setup: ClientSetup): Promise<SyncClient> {
  const program = peerProgram('airbyte');
  const configFile = join(setup.dir, 'airbyte-config.json');
  writeFileSync(configFile, JSON.stringify({ api_key: setup.apiKey, domain: 'bench.freshdesk.com', start_date: startDate }));
  const messages = (await jsonLinesOf(program, ['discover', '--config', configFile], setup.pythonEnv)) as Array<{ type?: string; catalog?: { streams: AirbyteStream[] } }>;
  const tickets = messages.find((message) => message.type === 'CATALOG')?.catalog?.streams.find((stream) => stream.name === 'tickets');
  if (!tickets) throw new Error('source-freshdesk discover listed no tickets stream');
  const catalogFile = join(setup.dir, 'airbyte-catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({ streams: [{ stream: tickets, sync_mode: 'incremental', cursor_field: ['updated_at'], destination_sync_mode: 'append' }] }),
  );
  // The protocol's state input: the latest state message per stream, as a list.
  return peerClient('airbyte', program, ['read', '--config', configFile, '--catalog', catalogFile], setup, (state) => [state]);
}
