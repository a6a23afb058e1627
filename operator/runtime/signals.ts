// Turns SIGTERM/SIGINT into an AbortSignal for Manager.start: the first signal starts a graceful
// shutdown (drain, release the Lease, exit 0); a second one exits at once with code 1.
import type { Logger } from './logger.js';

export function shutdownSignal(opts: { logger: Logger; signals?: NodeJS.Signals[] }): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      opts.logger.warn({ signal: name }, 'second signal: exiting without draining');
      process.exit(1);
    }
    opts.logger.info({ signal: name }, 'shutting down: draining work and releasing the leader lease');
    controller.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
