#!/usr/bin/env node
// The `sync-job` bin: runs the job (cli.ts) in a worker thread with V8 heap limits sized from the container's
// memory limit, so the process stays in bounded memory however it is launched (no node flags needed), forwards
// SIGTERM/SIGINT to the run, and if the run dies anyway (out of memory) writes its last acknowledged cursors.
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { JobResult } from './contract.js';
// Only modules without dependencies: the launcher's own isolate stays small (zod, pino and undici load in the worker).
import { crashedResult } from './core/crashed-result.js';
import { containerMemoryLimitBytes, heapLimitsFor } from './core/memory-budget.js';

/**
 * V8 sizes the young generation for throughput (64 MiB by default on 64-bit), and a sync allocates fast.
 * Without a container limit these keep a 200,000-ticket sync near 125 MiB RSS (bench/sync-200k.ts); under
 * a limit the old generation takes three quarters of what Node's own reserve leaves (memory-budget.ts).
 */
export const workerResourceLimits = heapLimitsFor(containerMemoryLimitBytes());

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

/** The result as of the run's last checkpoint (the worker sends one after every acknowledged batch). */
let lastProgress: JobResult | undefined;
worker.on('message', (message: { type?: string; result?: JobResult }) => {
  if (message.type === 'progress' && message.result) lastProgress = message.result;
});

let failure: Error | undefined;
worker.on('error', (error) => {
  failure = error;
});
worker.on('exit', (code) => {
  if (failure !== undefined) {
    // The run died (e.g. ERR_WORKER_OUT_OF_MEMORY) before writing its result: leave a Failed result with the
    // cursors of its last checkpoint (none before the first), so the operator keeps every acknowledged batch
    // (cursors only move forward) and the next run redoes the rest.
    const resultPath = resultPathFrom(process.argv.slice(2), process.env.TENANTSYNC_RESULT);
    const code = (failure as { code?: string }).code;
    const hint = code === 'ERR_WORKER_OUT_OF_MEMORY' ? ` (heap limit ${workerResourceLimits.maxOldGenerationSizeMb} MiB: raise spec.job.resources.limits.memory)` : '';
    const message = `INTERNAL: the sync-job worker stopped: ${code ?? failure.message}${hint}`;
    process.stderr.write(`sync-job: ${message}\n`);
    if (resultPath) writeFileSync(resultPath, JSON.stringify(crashedResult(lastProgress, message)));
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
