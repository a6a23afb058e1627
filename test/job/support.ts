// Shared set-up for the sync job's tests: the Freshdesk fake and the sink receiver on loopback, a job
// clock tied to the fake's clock (waits advance it instead of sleeping), in-process and spawned runs.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { freshdeskStreamNames, type JobConfig, type JobState, type StreamName } from '../../sync-job/contract.js';
import { throwIfAborted, type Clock } from '../../sync-job/core/clock.js';
import { createRedactor } from '../../sync-job/core/redact.js';
import { createLogger } from '../../sync-job/log.js';
import { SyncRun, type RunOptions, type RunReport } from '../../sync-job/run.js';
import { startFreshdeskFake, type FreshdeskFake, type FreshdeskFakeOptions } from '../fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../fakes/sink/index.js';
import { canonicalJson } from '../fakes/sink/protocol.js';

export const apiKey = 'fd-key-9f8e7d6c5b4a';
export const sinkToken = 'sink-token-0a1b2c3d4e5f';
export const repoRoot = resolve(import.meta.dirname, '../..');

export interface World {
  fake: FreshdeskFake;
  sink: SinkReceiver;
  /** The job's clock: the fake's time; sleeping advances the fake's clock at once. */
  clock: Clock;
  close(): Promise<void>;
}

export async function startWorld(options: FreshdeskFakeOptions = {}): Promise<World> {
  const fake = await startFreshdeskFake({ apiKey, ...options });
  const sink = await startSinkReceiver({ token: sinkToken });
  const clock: Clock = {
    nowMs: () => fake.clock.now().getTime(),
    sleep: async (ms, signal) => {
      throwIfAborted(signal);
      if (ms > 0) fake.clock.advance(ms);
      await new Promise((r) => setImmediate(r));
      throwIfAborted(signal);
    },
  };
  return { fake, sink, clock, close: async () => void (await Promise.all([fake.close(), sink.close()])) };
}

export function configFor(world: World, streams: readonly StreamName[] = ['tickets'], extra: Partial<JobConfig['source']> = {}): JobConfig {
  return {
    tenantId: 'acme',
    source: { type: 'freshdesk', baseUrl: world.fake.baseUrl, streams: streams.map((name) => ({ name, intervalSeconds: 60 })), ...extra },
    sink: { type: 'http', url: world.sink.url },
  };
}

export const allStreams = freshdeskStreamNames;
export const emptyState: JobState = { version: 1, streams: {} };

export interface InProcessRun extends RunReport {
  logs: string[];
}

/** Runs the job in this process with the world's clock; log lines are captured (already scrubbed). */
export async function runInProcess(
  world: World,
  config: JobConfig,
  state: JobState = emptyState,
  overrides: Partial<RunOptions> & { onRun?: (run: SyncRun) => void } = {},
): Promise<InProcessRun> {
  const logs: string[] = [];
  const redact = createRedactor([overrides.apiKey ?? apiKey, sinkToken]);
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ fd: 1, redact, base: { tenantId: config.tenantId, runId: 'test' }, level: 'debug', destination });
  const run = new SyncRun({
    config,
    state,
    apiKey,
    sinkToken,
    logger,
    clock: world.clock,
    redact,
    random: () => 0.5,
    httpTimeouts: { connectTimeoutMs: 2_000, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 },
    ...overrides,
  });
  overrides.onRun?.(run);
  const report = await run.execute();
  return { ...report, logs };
}

/** The state a `--write-state` run would leave: the report's state. */
export function stateAfter(report: RunReport): JobState {
  return report.state;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tenant-sync-job-'));
}

export interface SpawnedJob {
  pid: number;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** The real CLI (`node --import tsx sync-job/main.ts …`), asynchronously, so in-process fakes keep serving. */
export function spawnJob(args: string[], env: Record<string, string | undefined>): SpawnedJob {
  return spawnProcess(process.execPath, ['--import', 'tsx', join(repoRoot, 'sync-job/main.ts'), ...args], env);
}

/**
 * The package's `sync-job` bin as a user runs it from the repo root after `npm ci && npm run build`:
 * `npm exec --no -- sync-job …` (what `npx --no-install sync-job …` does), with this test's Node first on PATH.
 */
export function spawnBin(args: string[], env: Record<string, string | undefined>): SpawnedJob {
  return spawnProcess('npm', ['exec', '--no', '--', 'sync-job', ...args], {
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_update_notifier: 'false',
    ...env,
  });
}

function spawnProcess(command: string, args: string[], env: Record<string, string | undefined>): SpawnedJob {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveDone, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolveDone({ code, stdout, stderr }));
  });
  return { pid: child.pid!, done, kill: (signal) => child.kill(signal) };
}

/** Every way a secret could be written: plain, Basic-auth encoded, URL-encoded. */
export function secretForms(...secrets: string[]): string[] {
  return secrets.flatMap((s) => [s, Buffer.from(`${s}:X`).toString('base64'), encodeURIComponent(s)]);
}

/** Freshdesk-format timestamp `seconds` after a fixed instant. */
export function at(baseMs: number, seconds: number): string {
  return new Date(baseMs + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `count` tickets updated one second apart, starting a day before the fake's clock; their ids. */
export function seedTickets(world: World, count: number): number[] {
  const baseMs = world.fake.clock.now().getTime() - 24 * 3600 * 1000;
  return world.fake.data.addTickets(count, (i) => ({ updated_at: at(baseMs, i) }));
}

/**
 * ids (sorted) of the records of `stream` in deliveries[from..] whose content (op, updatedAt, data) no
 * delivery before `from` carried: what a consumer sees change. A lookback re-reads unchanged records too.
 */
export function changedIds(sink: SinkReceiver, stream: string, from: number, tenantId = 'acme'): string[] {
  const contentOf = (record: { id: string | number; op: string; updatedAt: string; data: unknown }) => canonicalJson([record.id, record.op, record.updatedAt, record.data]);
  const ofStream = (deliveries: SinkReceiver['deliveries']) =>
    deliveries.filter((d) => d.body.tenantId === tenantId && d.body.stream === stream).flatMap((d) => d.body.records);
  const before = new Set(ofStream(sink.deliveries.slice(0, from)).map(contentOf));
  const changed = ofStream(sink.deliveries.slice(from)).filter((record) => !before.has(contentOf(record)));
  return [...new Set(changed.map((record) => String(record.id)))].sort();
}

/** ids of delivered records of one stream, as numbers, sorted. */
export function deliveredIds(sink: SinkReceiver, stream: string): number[] {
  return [...new Set(sink.records('acme', stream).map((r) => Number(r.id)))].sort((a, b) => a - b);
}
