// The worker thread of the `sync-job` bin: runs the CLI inside the heap limits the launcher set, and turns
// the launcher's stop messages (forwarded SIGTERM/SIGINT) into a stop request for the run.
import { parentPort, workerData } from 'node:worker_threads';
import { runCli } from './cli.js';

const { argv } = workerData as { argv: string[] };
const code = await runCli(
  argv,
  process.env,
  (handler) => {
    parentPort?.on('message', (message: { type?: string; signal?: string }) => {
      if (message.type === 'stop') handler(message.signal ?? 'SIGTERM');
    });
  },
  (result) => parentPort?.postMessage({ type: 'progress', result }),
);
process.exit(code);
