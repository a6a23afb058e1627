#!/usr/bin/env node
// The `sync-job` bin: runs the job (cli.ts) in a worker thread with V8 heap limits, so the process stays in
// bounded memory however it is launched (no node flags needed), and forwards SIGTERM/SIGINT to the run.
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * V8 sizes the young generation for throughput (64 MiB by default on 64-bit), and a sync allocates fast.
 * These limits keep a 200,000-ticket sync near 120 MiB RSS (bench/sync-200k.ts) at little cost in speed.
 */
export const workerResourceLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 } as const;

/** Exit code when the worker dies without reporting one (out of memory): retryable, like a failed stream. */
const crashedExitCode = 1;

const worker = new Worker(new URL('./worker.js', import.meta.url), {
  argv: [],
  workerData: { argv: process.argv.slice(2) },
  resourceLimits: workerResourceLimits,
  // The worker writes with writeSync to fds 1 and 2; nothing goes through these streams.
  stdout: false,
  stderr: false,
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => worker.postMessage({ type: 'stop', signal }));
}

let failure: Error | undefined;
worker.on('error', (error) => {
  failure = error;
});
worker.on('exit', (code) => {
  if (failure !== undefined) {
    // The run died (e.g. ERR_WORKER_OUT_OF_MEMORY) before writing its result: leave a Failed result without
    // cursors, so the operator keeps the last ones it saved (forward-only) and the next run redoes the rest.
    const resultPath = resultPathFrom(process.argv.slice(2), process.env.TENANTSYNC_RESULT);
    const message = `INTERNAL: the sync-job worker stopped: ${(failure as { code?: string }).code ?? failure.message}`;
    process.stderr.write(`sync-job: ${message}\n`);
    if (resultPath) {
      const now = new Date().toISOString();
      writeFileSync(resultPath, JSON.stringify({ version: 1, outcome: 'Failed', startedAt: now, finishedAt: now, error: message, streams: {} }));
    }
    process.exit(crashedExitCode);
  }
  process.exit(code);
});

function resultPathFrom(argv: string[], fromEnv: string | undefined): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--result') return argv[i + 1];
    if (arg.startsWith('--result=')) return arg.slice('--result='.length);
  }
  return fromEnv || undefined;
}
