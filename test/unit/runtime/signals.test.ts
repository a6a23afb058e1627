// SIGTERM/SIGINT become one AbortSignal for the Manager (graceful shutdown); dispose() unhooks it.
import { describe, expect, it } from 'vitest';
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
});
