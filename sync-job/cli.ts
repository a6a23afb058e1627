// The job contract as a program: config/state/result paths by env or flags, secrets by env, exit 0/1/2,
// and a result written on success and on every failure it survives (a stop request included).
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { envNames, exitCodes, maxResultBytes, type JobConfig, type JobResult, type JobState } from './contract.js';
import { crashMessageReserveBytes } from './core/crashed-result.js';
import { compactResult } from './core/result-size.js';
import { describeError, SyncError, toSyncError } from './core/errors.js';
import { createRedactor, type Redactor } from './core/redact.js';
import { loadConfig, loadState, writeResult, writeStateAtomic } from './files.js';
import { createLogger } from './log.js';
import { SyncRun } from './run.js';
import { StdoutSink } from './sink/stdout-sink.js';

const usage = `usage: sync-job [--config FILE] [--state FILE] [--result FILE] [--write-state] [--force]

  --config FILE    job config JSON (env ${envNames.config}); required
  --state FILE     state JSON with cursors (env ${envNames.state}); absent file = first run
  --result FILE    where the result JSON goes (env ${envNames.result})
  --write-state    update the state file after every acknowledged batch (local runs without a cluster)
  --force          sync every configured stream now, even those whose interval has not passed (env TENANTSYNC_FORCE=1)

  Secrets come from the environment only: ${envNames.sourceApiKey} (required), ${envNames.sinkToken}.
  Deadline (optional): ${envNames.deadline} (RFC 3339) and/or ${envNames.deadlineSeconds} (from the start); the run
  stops itself a margin before it and writes its result with the acknowledged cursors.
  Exit codes: 0 all due streams succeeded, 1 a stream failed (retryable), 2 config or credentials error,
  3 stopped before the deadline (the next run continues from the result's cursors).`;

/** After SIGTERM/SIGINT the run gets this long to stop cleanly before the snapshot result is written anyway. */
const stopGraceMs = 5_000;

/** Writes synchronously: this runs in a worker thread, whose process.stdout/stderr are flushed asynchronously. */
const printOut = (text: string) => writeSync(1, text);
const printErr = (text: string) => writeSync(2, text);

/** Registers the handler for a stop request (SIGTERM/SIGINT, forwarded by the launcher). */
export type OnStop = (handler: (signal: string) => void) => void;
/** Receives the result as of each checkpoint, so the launcher can write it if the run dies (out of memory). */
export type OnProgress = (result: JobResult) => void;

interface Paths {
  config: string | undefined;
  state: string | undefined;
  result: string | undefined;
  writeState: boolean;
  force: boolean;
}

function parsePaths(argv: string[], env: NodeJS.ProcessEnv): Paths | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      state: { type: 'string' },
      result: { type: 'string' },
      'write-state': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    config: values.config ?? (env[envNames.config] || undefined),
    state: values.state ?? (env[envNames.state] || undefined),
    result: values.result ?? (env[envNames.result] || undefined),
    writeState: values['write-state'] ?? false,
    force: (values.force ?? false) || env.TENANTSYNC_FORCE === '1' || env.TENANTSYNC_FORCE === 'true',
  };
}

/**
 * How long before its deadline the job stops itself and writes its result: a tenth of the run's time, at
 * least 10 s (the stop takes up to stopGraceMs, plus clock skew between nodes) and at most 60 s.
 */
export function deadlineMarginSeconds(runSeconds: number | undefined): number {
  if (runSeconds === undefined) return 30;
  return Math.min(60, Math.max(10, Math.round(runSeconds / 10)));
}

/**
 * When the run stops itself (epoch ms): a margin before the earlier of the deadline (absolute) and the start
 * plus the allowed seconds. Undefined when neither is set; a bad value is a configuration error naming it.
 */
export function stopTimeMs(env: NodeJS.ProcessEnv, startedAtMs: number): number | undefined {
  const at = env[envNames.deadline] || undefined;
  const secondsText = env[envNames.deadlineSeconds] || undefined;
  let seconds: number | undefined;
  if (secondsText !== undefined) {
    seconds = Number(secondsText);
    if (!Number.isInteger(seconds) || seconds <= 0) {
      throw new SyncError('CONFIG_INVALID', `${envNames.deadlineSeconds}: must be a whole number of seconds above 0, got "${secondsText}"`);
    }
  }
  let atMs: number | undefined;
  if (at !== undefined) {
    atMs = Date.parse(at);
    if (Number.isNaN(atMs)) throw new SyncError('CONFIG_INVALID', `${envNames.deadline}: must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got "${at}"`);
  }
  const ends = [atMs, seconds === undefined ? undefined : startedAtMs + seconds * 1000].filter((t): t is number => t !== undefined);
  if (ends.length === 0) return undefined;
  return Math.min(...ends) - deadlineMarginSeconds(seconds) * 1000;
}

function failedResult(startedAt: Date, error: SyncError, redact: Redactor): JobResult {
  return {
    version: 1,
    outcome: 'Failed',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    error: redact(describeError(error)),
    streams: {},
  };
}

/** Runs the job once; resolves with the exit code. Never throws for expected failures. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, onStop: OnStop, onProgress?: OnProgress): Promise<number> {
  const startedAt = new Date();
  const apiKey = env[envNames.sourceApiKey] || undefined;
  const sinkToken = env[envNames.sinkToken] || undefined;
  const redact = createRedactor([apiKey, sinkToken]);

  let paths: Paths | 'help';
  try {
    paths = parsePaths(argv, env);
  } catch (error) {
    printErr(`sync-job: ${(error as Error).message}\n${usage}\n`);
    return exitCodes.configOrCredentials;
  }
  if (paths === 'help') {
    printOut(`${usage}\n`);
    return exitCodes.ok;
  }

  // Problems found before any stream runs: exit 2, with the result saying why when it has a path.
  const failEarly = (error: SyncError): number => {
    const line = redact(describeError(error));
    printErr(`sync-job: ${line}\n`);
    printOut(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), code: error.code, msg: line })}\n`);
    if (typeof paths === 'object' && paths.result) writeResult(paths.result, failedResult(startedAt, error, redact));
    return exitCodes.configOrCredentials;
  };

  let config: JobConfig;
  let state: JobState;
  let stopAtMs: number | undefined;
  try {
    stopAtMs = stopTimeMs(env, startedAt.getTime());
    if (!paths.config) throw new SyncError('CONFIG_INVALID', `no config file: pass --config FILE or set ${envNames.config}`);
    config = loadConfig(paths.config);
    if (!apiKey) throw new SyncError('CONFIG_INVALID', `no Freshdesk API key: set ${envNames.sourceApiKey} (from the tenant's credentials Secret)`);
    if (paths.writeState && !paths.state) throw new SyncError('CONFIG_INVALID', `--write-state needs a state file: pass --state FILE or set ${envNames.state}`);
    state = loadState(paths.state);
  } catch (error) {
    return failEarly(toSyncError(error));
  }

  const runId = env.TENANTSYNC_RUN_ID || randomUUID();
  const logger = createLogger({
    fd: config.sink.type === 'stdout' ? 2 : 1,
    redact,
    base: { tenantId: config.tenantId, runId },
    level: env.TENANTSYNC_LOG_LEVEL || 'info',
  });

  const statePath = paths.writeState ? paths.state : undefined;
  let currentState: JobState = state;
  const controller = new AbortController();
  const run = new SyncRun({
    config,
    state,
    apiKey,
    sinkToken,
    logger,
    signal: controller.signal,
    redact,
    ignoreIntervals: paths.force,
    // A rate-limit wait past the stop time ends the run at once (RATE_LIMIT_PAST_DEADLINE) instead of sleeping.
    deadline: stopAtMs,
    sink: config.sink.type === 'stdout' ? new StdoutSink(1) : undefined,
    onCheckpoint: (stream, cursor) => {
      if (statePath) {
        const previous = currentState.streams[stream];
        currentState = { ...currentState, streams: { ...currentState.streams, [stream]: { ...previous, cursor } } };
        writeStateAtomic(statePath, currentState);
      }
      // Compacted with room for the launcher's crash message, which must still fit the termination message.
      if (onProgress) onProgress(compactResult(run.snapshot(), maxResultBytes - crashMessageReserveBytes));
    },
  });

  let finished = false;
  const finish = (result: JobResult, exitCode: number, finalState: JobState | undefined): number => {
    if (finished) return exitCode;
    finished = true;
    const written = paths.result ? writeResult(paths.result, result) : result;
    if (statePath && finalState) writeStateAtomic(statePath, finalState);
    logger.info({ outcome: written.outcome, exitCode, streams: summarize(written) }, 'run finished');
    if (exitCode !== exitCodes.ok) {
      // One line for a person at a terminal; the JSON logs and the result carry the details.
      const problems = [result.error, ...Object.entries(result.streams).filter(([, s]) => s.error).map(([name, s]) => `${name}: ${s.error}`)];
      printErr(`sync-job: ${result.outcome} (exit ${exitCode}): ${redact(problems.filter(Boolean).join('; '))}\n`);
    }
    return exitCode;
  };

  let deadlineReached = false;
  const onSignal = (signal: string) => {
    if (controller.signal.aborted) return;
    logger.warn({ signal }, 'stopping: the result keeps the last acknowledged cursors');
    controller.abort(new Error(`received ${signal}`));
    // If the run does not wind down in time, write what is acknowledged and leave.
    setTimeout(() => {
      const snapshot = run.snapshot();
      process.exit(finish(snapshot, deadlineReached ? exitCodes.deadline : exitCodes.streamFailed, statePath ? currentState : undefined));
    }, stopGraceMs).unref();
  };
  onStop(onSignal);

  // The deadline (spec.job.timeout): stop a margin before it, so the result with the acknowledged cursors is
  // written by this process instead of being lost with a pod the Job controller deletes.
  if (stopAtMs !== undefined) {
    const stopAt = new Date(stopAtMs).toISOString();
    const stopForDeadline = () => {
      deadlineReached = true;
      logger.warn({ stopAt }, "stopping before the run's deadline (spec.job.timeout): the result keeps the acknowledged cursors");
      onSignal('deadline');
    };
    if (stopAtMs <= Date.now()) stopForDeadline();
    else setTimeout(stopForDeadline, stopAtMs - Date.now()).unref();
  }

  logger.info({ streams: config.source.streams.map((s) => s.name), sink: config.sink.type }, 'run started');
  const report = await run.execute();
  if (deadlineReached && report.exitCode !== exitCodes.configOrCredentials) {
    const why = `RUN_DEADLINE: stopped before the run's deadline with the acknowledged cursors saved; the next run continues from them (raise spec.job.timeout if runs need longer)`;
    return finish({ ...report.result, error: report.result.error ?? why }, exitCodes.deadline, report.state);
  }
  const exitCode = controller.signal.aborted && report.exitCode === exitCodes.ok ? exitCodes.streamFailed : report.exitCode;
  return finish(report.result, exitCode, report.state);
}

function summarize(result: JobResult): Record<string, string> {
  return Object.fromEntries(Object.entries(result.streams).map(([name, s]) => [name, `${s.outcome} ${s.records}${s.redelivered ? ` (${s.redelivered} re-read)` : ''}`]));
}
