// A shutdown that takes long says, every 5 s, what it still waits for (runnables, requests under way), and at
// 15 s cuts the requests off once, so the operator exits before the kubelet's SIGKILL; a quick one says nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../operator/runtime/logger.js';
import { watchShutdown } from '../../../operator/runtime/shutdown-watchdog.js';
import { logLines } from './log-lines.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function armed(describeNow: () => { runnables: string[]; requests: string[] }) {
  const { lines, destination } = logLines();
  const logger = createLogger({ destination });
  const shutdown = new AbortController();
  const giveUp = vi.fn();
  const watchdog = watchShutdown({ signal: shutdown.signal, logger, describe: describeNow, giveUp });
  const messages = () => lines.map((l) => JSON.parse(l) as { level: string; msg: string; runnables: string[]; requests: string[] });
  return { shutdown, giveUp, watchdog, messages };
}

describe('watchShutdown', () => {
  it('says nothing before the shutdown begins, nor when it ends within 5 s', async () => {
    const { shutdown, giveUp, watchdog, messages } = armed(() => ({ runnables: ['tenantsync-controller'], requests: [] }));
    await vi.advanceTimersByTimeAsync(60_000);
    shutdown.abort();
    await vi.advanceTimersByTimeAsync(4_900);
    watchdog.dispose();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages()).toEqual([]);
    expect(giveUp).not.toHaveBeenCalled();
  });

  it('every 5 s names what is still running and the requests under way, and at 15 s cuts the requests off once', async () => {
    const requests = ['PATCH /apis/tenantsync.io/v1alpha1/namespaces/t/tenantsyncs/acme/status (7 s)'];
    const { shutdown, giveUp, watchdog, messages } = armed(() => ({ runnables: ['tenantsync-controller', 'health-server'], requests }));
    shutdown.abort();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(messages()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'still stopping after 5 s: waiting for tenantsync-controller, health-server', requests }),
    ]);
    await vi.advanceTimersByTimeAsync(9_900);
    expect(messages().map((m) => m.msg)).toEqual([
      'still stopping after 5 s: waiting for tenantsync-controller, health-server',
      'still stopping after 10 s: waiting for tenantsync-controller, health-server',
    ]);
    expect(giveUp).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(giveUp).toHaveBeenCalledTimes(1);
    expect(messages().at(-1)).toMatchObject({ level: 'warn', msg: 'still stopping after 15 s: cutting off the 1 requests under way', requests });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(giveUp).toHaveBeenCalledTimes(1);
    expect(messages()).toHaveLength(3);
    watchdog.dispose();
  });

  it('starts counting at once when the shutdown had already begun', async () => {
    const { lines, destination } = logLines();
    const giveUp = vi.fn();
    watchShutdown({ signal: AbortSignal.abort(), logger: createLogger({ destination }), describe: () => ({ runnables: [], requests: [] }), giveUp, giveUpMs: 8_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['still stopping after 5 s: waiting for the Lease release']);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(giveUp).toHaveBeenCalledTimes(1);
  });
});
