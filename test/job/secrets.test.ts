// Secrets canary: the sink and Freshdesk answer errors whose bodies quote the request's credentials (the
// sink's `Authorization: Bearer <token>`, Freshdesk's Basic header and the API key in it), as some real
// services do. The job copies those bodies into its errors; none of the secrets may reach its stdout,
// stderr (logs), the result file (the termination message in a pod) or the state file, while the errors
// still say what happened.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultSchema, type JobConfig } from '../../sync-job/contract.js';
import { redactedMark } from '../../sync-job/core/redact.js';
import { startSinkReceiver } from '../fakes/sink/index.js';
import { apiKey, at, configFor, runInProcess, sinkToken, spawnJob, startWorld, tempDir, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const basicAuth = Buffer.from(`${apiKey}:X`).toString('base64');
/** Every form in which a secret could leak. */
const leaks = [apiKey, sinkToken, basicAuth, `Basic ${basicAuth}`, `Bearer ${sinkToken}`, encodeURIComponent(apiKey), encodeURIComponent(sinkToken)];

function expectNoSecrets(where: string, text: string): void {
  for (const secret of leaks) expect(text.includes(secret), `${where} contains ${JSON.stringify(secret)}`).toBe(false);
}

/** tickets: the sink rejects every batch with a 422 quoting the bearer header; contacts: Freshdesk answers 400 quoting the Basic header and key. */
function armCanaries(): void {
  const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
  world.fake.data.addTickets(5, (i) => ({ updated_at: at(baseMs, i) }));
  world.fake.data.addContacts(3);
  world.sink.failAlways(422, undefined, { echoAuthorization: true });
  world.fake.faults.failNext(Infinity, 400, { path: 'contacts' }, { echoAuthorization: true });
}

const config = (): JobConfig => configFor(world, ['tickets', 'contacts']);

describe('secrets quoted back by the sink and by Freshdesk', () => {
  it('the canaries are live: without a redactor the source error would carry the Basic header and the API key; the sink scrubs its own token from a quoted body', async () => {
    armCanaries();
    const run = await runInProcess(world, config(), undefined, { redact: (text) => text });
    const tickets = run.result.streams.tickets!.error!;
    const contacts = run.result.streams.contacts!.error!;
    expect(world.sink.attempts.map((a) => a.status)).toEqual([422]);
    expect(tickets).toContain(`Bearer [REDACTED]`);
    expect(tickets).not.toContain(sinkToken);
    expect(contacts).toContain(basicAuth);
    expect(contacts).toContain(apiKey);
  });

  it('in process: the result errors and every log line are scrubbed but still name the failure', async () => {
    armCanaries();
    const run = await runInProcess(world, config());
    expect(run.exitCode).toBe(1);
    expect(world.sink.attempts.map((a) => a.status)).toEqual([422]);
    expect(world.fake.requests.filter((r) => r.path === '/api/v2/contacts').map((r) => r.status)).toEqual([400]);
    const { tickets, contacts } = run.result.streams;
    expect(tickets).toMatchObject({ outcome: 'Failed', records: 0 });
    expect(tickets!.error).toMatch(/^SINK_REJECTED: .*HTTP 422.*Authorization/);
    expect(tickets!.error).toContain(`Bearer ${redactedMark}`);
    expect(contacts).toMatchObject({ outcome: 'Failed' });
    expect(contacts!.error).toMatch(/^SOURCE_REQUEST_INVALID: .*HTTP 400.*authorization/);
    expect(contacts!.error).toContain(`Basic ${redactedMark}`);
    expect(contacts!.error).toContain(`API key ${redactedMark}`);
    expectNoSecrets('result', JSON.stringify(run.result));
    expectNoSecrets('state', JSON.stringify(run.state));
    expect(run.logs.length).toBeGreaterThan(0);
    for (const line of run.logs) expectNoSecrets('log line', line);
  });

  it('the CLI: stdout, stderr, the result file (termination message) and the state file hold no secret', async () => {
    armCanaries();
    const dir = tempDir();
    const configPath = join(dir, 'config.json');
    const statePath = join(dir, 'state.json');
    const resultPath = join(dir, 'result.json');
    writeFileSync(configPath, JSON.stringify(config()));
    const job = await spawnJob(['--config', configPath, '--state', statePath, '--write-state', '--result', resultPath], {
      TENANTSYNC_SOURCE_API_KEY: apiKey,
      TENANTSYNC_SINK_TOKEN: sinkToken,
    }).done;
    expect(job.code).toBe(1);
    const resultText = readFileSync(resultPath, 'utf8');
    const stateText = readFileSync(statePath, 'utf8');
    expectNoSecrets('stdout', job.stdout);
    expectNoSecrets('stderr', job.stderr);
    expectNoSecrets('result file', resultText);
    expectNoSecrets('state file', stateText);
    // What happened is still said, on stderr for a person and in the result for the operator.
    const result = resultSchema.parse(JSON.parse(resultText));
    expect(result.streams.tickets!.error).toMatch(/^SINK_REJECTED: .*HTTP 422/);
    expect(result.streams.tickets!.error).toContain(`Bearer ${redactedMark}`);
    expect(result.streams.contacts!.error).toMatch(/^SOURCE_REQUEST_INVALID: .*HTTP 400/);
    expect(result.streams.contacts!.error).toContain(`Basic ${redactedMark}`);
    expect(job.stderr).toMatch(/tickets: SINK_REJECTED: .*HTTP 422/);
    expect(job.stderr).toContain(redactedMark);
    expect(job.stdout).toContain(redactedMark);
  });
});

describe('a sink token with characters that JSON escapes', () => {
  // Bearer tokens use A-Z a-z 0-9 - . _ ~ + / =; a Secret may hold anything printable. The sink quotes the
  // token inside a JSON body (`"` → `\"`, `\` → `\\`), the job copies that body into a retry log line (which
  // pino escapes once more) and into the rejection error.
  const oddToken = 'tok/en+"quo\\ted=';
  const escapedOnce = JSON.stringify(oddToken).slice(1, -1);
  const escapedTwice = JSON.stringify(escapedOnce).slice(1, -1);

  it('is scrubbed from stdout, stderr and the result in its plain, JSON-escaped and twice-escaped forms', async () => {
    const receiver = await startSinkReceiver({ token: oddToken });
    try {
      const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
      world.fake.data.addTickets(3, (i) => ({ updated_at: at(baseMs, i) }));
      // First a retryable 503 (logged with the body), then a 422 that fails the stream; both quote the token.
      receiver.failNext(1, 503, 0, { echoAuthorization: true });
      receiver.onAttempt(() => receiver.failAlways(422, undefined, { echoAuthorization: true }));
      const dir = tempDir();
      const configPath = join(dir, 'config.json');
      const resultPath = join(dir, 'result.json');
      writeFileSync(configPath, JSON.stringify({ ...configFor(world), sink: { type: 'http', url: receiver.url } }));
      const job = await spawnJob(['--config', configPath, '--result', resultPath], { TENANTSYNC_SOURCE_API_KEY: apiKey, TENANTSYNC_SINK_TOKEN: oddToken }).done;
      expect(receiver.attempts.map((a) => a.status)).toEqual([503, 422]);
      expect(job.code).toBe(1);
      const resultText = readFileSync(resultPath, 'utf8');
      for (const [where, text] of [['stdout', job.stdout], ['stderr', job.stderr], ['result file', resultText]] as const) {
        for (const form of [oddToken, escapedOnce, escapedTwice]) expect(text.includes(form), `${where} contains ${form}`).toBe(false);
      }
      expect(job.stdout).toContain('sink did not acknowledge, retrying');
      const tickets = resultSchema.parse(JSON.parse(resultText)).streams.tickets!;
      expect(tickets.error).toMatch(/^SINK_REJECTED: .*HTTP 422/);
      expect(tickets.error).toContain(`Bearer ${redactedMark}`);
    } finally {
      await receiver.close();
    }
  });
});

describe('a quoted secret cut off by truncation', () => {
  // The job keeps only the first 200 characters of a sink's error body; a token quoted near that point is
  // cut in two. The part that survives the cut is still most of the secret and must not be written.
  const cut = 200;
  it.each([
    ['the whole token just fits before the cut', sinkToken.length],
    ['the cut falls in the middle of the token', 13],
    ['only 8 characters of the token survive the cut', 8],
  ])('%s: no 8-character piece of the token is written', async (_name, surviving) => {
    // The quoted value is `Bearer <token>`; place it so that `surviving` characters of the token precede the cut.
    const offset = cut - surviving - 'Bearer '.length;
    const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
    world.fake.data.addTickets(3, (i) => ({ updated_at: at(baseMs, i) }));
    world.sink.failAlways(422, undefined, { echoAuthorization: true, echoAuthorizationAt: offset });
    const dir = tempDir();
    const configPath = join(dir, 'config.json');
    const resultPath = join(dir, 'result.json');
    writeFileSync(configPath, JSON.stringify(configFor(world)));
    const job = await spawnJob(['--config', configPath, '--result', resultPath], { TENANTSYNC_SOURCE_API_KEY: apiKey, TENANTSYNC_SINK_TOKEN: sinkToken }).done;
    expect(job.code).toBe(1);
    const resultText = readFileSync(resultPath, 'utf8');
    const error = resultSchema.parse(JSON.parse(resultText)).streams.tickets!.error!;
    expect(error).toMatch(/^SINK_REJECTED: .*HTTP 422/);
    const pieces = Array.from({ length: sinkToken.length - 7 }, (_, i) => sinkToken.slice(i, i + 8));
    for (const [where, text] of [['stdout', job.stdout], ['stderr', job.stderr], ['result file', resultText]] as const) {
      for (const piece of pieces) expect(text.includes(piece), `${where} contains ${piece}`).toBe(false);
    }
  });
});
