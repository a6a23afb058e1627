// SIGTERM/SIGINT become one AbortSignal for the Manager (graceful shutdown); dispose() unhooks it.
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { shutdownSignal } from '../../../operator/runtime/signals.js';

describe('shutdownSignal', () => {
  it('aborts on the first SIGTERM and stops listening after dispose', () => {
    const before = process.listenerCount('SIGTERM');
    const { signal, dispose } = shutdownSignal({ logger: silentLogger(), signals: ['SIGTERM'] });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(signal.aborted).toBe(false);
    process.emit('SIGTERM', 'SIGTERM');
    expect(signal.aborted).toBe(true);
    dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('exits at once with code 1 on a second signal (no drain)', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { signal, dispose } = shutdownSignal({ logger: silentLogger(), signals: ['SIGINT'] });
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(signal.aborted).toBe(true);
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT', 'SIGINT');
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      dispose();
      exit.mockRestore();
    }
  });
});
