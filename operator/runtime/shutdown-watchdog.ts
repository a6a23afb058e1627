// Watches a graceful shutdown that takes long (controller-runtime's graceful-shutdown timeout): from `everyMs`
// after the shutdown began it says, every `everyMs`, what is still running and which requests are under way; at
// `giveUpMs` it calls `giveUp` once (the operator cuts its requests off) so the process still exits, with its Lease
// released, before the kubelet's SIGKILL at the end of the pod's grace period (30 s in the chart).
import type { Logger } from './logger.js';

export interface ShutdownWatchdogOptions {
  /** Aborts when the shutdown begins. */
  signal: AbortSignal;
  logger: Logger;
  /** What the shutdown still waits for. */
  describe: () => { runnables: string[]; requests: string[] };
  /** Called once, `giveUpMs` after the shutdown began, if it has not ended yet. */
  giveUp: () => void;
  /** Default 5 s. */
  everyMs?: number;
  /** Default 15 s: the Lease release after it (its own client, at most the renew deadline, 10 s) and the exit still fit in a 30 s grace period. */
  giveUpMs?: number;
}

export const shutdownReportEveryMs = 5_000;
export const shutdownGiveUpMs = 15_000;

/** Arms the watchdog; `dispose()` (when the shutdown has ended) stops it. */
export function watchShutdown(opts: ShutdownWatchdogOptions): { dispose: () => void } {
  const everyMs = opts.everyMs ?? shutdownReportEveryMs;
  const giveUpMs = opts.giveUpMs ?? shutdownGiveUpMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let waitedMs = 0;
  const tick = () => {
    const next = Math.min(everyMs, giveUpMs - waitedMs);
    timer = setTimeout(() => {
      waitedMs += next;
      const { runnables, requests } = opts.describe();
      const seconds = Math.round(waitedMs / 1000);
      if (waitedMs >= giveUpMs) {
        opts.logger.warn({ runnables, requests }, `still stopping after ${seconds} s: cutting off the ${requests.length} requests under way`);
        opts.giveUp();
        return;
      }
      opts.logger.info({ runnables, requests }, `still stopping after ${seconds} s: waiting for ${runnables.join(', ') || 'the Lease release'}`);
      tick();
    }, next);
    timer.unref();
  };
  const begin = () => {
    if (!disposed) tick();
  };
  if (opts.signal.aborted) begin();
  else opts.signal.addEventListener('abort', begin, { once: true });
  return {
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', begin);
    },
  };
}
