// Runs the fake Freshdesk and the sink receiver as a standalone process, for `npm run local` and for
// benchmarks that must measure the job apart from the fakes. Prints one JSON line with the URLs.
//
//   tsx test/fakes/cli.ts [--demo] [--tickets N] [--days D] [--port P] [--sink-port P] [--api-key K]
//                         [--sink-token T] [--rate-limit N] [--no-sink] [--quiet]
// Output (stdout, one JSON object a line): {"event":"ready","freshdeskUrl","apiKey","sinkUrl"}, then one
// {"event":"delivery",…} per accepted batch unless --quiet, and {"event":"stopped",…} on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { startFreshdeskFake } from './freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from './sink/index.js';

const { values } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    tickets: { type: 'string' },
    days: { type: 'string', default: '90' },
    port: { type: 'string', default: '0' },
    'sink-port': { type: 'string', default: '0' },
    'api-key': { type: 'string', default: 'local-api-key' },
    'sink-token': { type: 'string' },
    'rate-limit': { type: 'string', default: '400' },
    'no-sink': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

const print = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);

const fake = await startFreshdeskFake({
  apiKey: values['api-key'],
  port: integer('port', values.port),
  rateLimitPerMinute: integer('rate-limit', values['rate-limit']),
});
if (values.demo) fake.seedDemo();
if (values.tickets !== undefined) {
  // Evenly spread over the last --days, several tickets per second for large counts.
  const count = integer('tickets', values.tickets);
  const spanMs = integer('days', values.days) * 24 * 3600 * 1000;
  const startMs = Date.now() - spanMs;
  fake.data.addTickets(count, (i) => {
    const at = new Date(startMs + Math.floor((spanMs * i) / Math.max(1, count)));
    return { created_at: at, updated_at: at };
  });
}

let sink: SinkReceiver | undefined;
if (!values['no-sink']) {
  sink = await startSinkReceiver({ token: values['sink-token'], port: integer('sink-port', values['sink-port']) });
  if (!values.quiet) {
    sink.onAttempt((attempt) => {
      if (attempt.outcome === 'accepted') print({ event: 'delivery', tenantId: attempt.tenantId, stream: attempt.stream, records: attempt.recordCount });
    });
  }
}

print({ event: 'ready', freshdeskUrl: fake.baseUrl, apiKey: fake.apiKey, sinkUrl: sink?.url ?? null });

const stop = async () => {
  print({
    event: 'stopped',
    freshdeskRequests: fake.stats.total,
    maxPage: fake.stats.maxPage,
    retryAfterViolations: fake.violations.length,
    deliveries: sink?.deliveries.length ?? 0,
    records: sink?.records().length ?? 0,
    sinkViolations: sink?.idempotencyViolations ?? [],
  });
  await Promise.all([fake.close(), sink?.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
