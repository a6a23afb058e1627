// Leader election decisions as a table: create / renew / take over a free or expired Lease / wait
// for a live one, and when a leader must step down. Pure functions of (Lease, identity, now).
import { describe, expect, it } from 'vitest';
import { decideLease, microTime, releasedLeaseSpec, shouldStepDown, type LeaseSpec } from '../../../operator/runtime/leader-election.js';

const t0 = Date.parse('2025-03-01T12:00:00Z');
const base = { identity: 'me', nowMs: t0, observedAtMs: t0, leaseDurationSeconds: 15 };
const heldBy = (holder: string | null, extra: Partial<LeaseSpec> = {}): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: microTime(new Date(t0 - 60_000)),
  renewTime: microTime(new Date(t0 - 1_000)),
  leaseTransitions: 4,
  ...extra,
});

describe('decideLease', () => {
  it('creates the Lease when none exists, as holder with zero transitions', () => {
    const d = decideLease({ ...base, lease: undefined, exists: false });
    expect(d).toEqual({
      action: 'create',
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2025-03-01T12:00:00.000000Z', renewTime: '2025-03-01T12:00:00.000000Z', leaseTransitions: 0 },
    });
  });

  it('renews its own Lease: only renewTime moves, acquireTime and transitions stay', () => {
    const d = decideLease({ ...base, nowMs: t0 + 2_000, lease: heldBy('me'), exists: true });
    expect(d.action).toBe('renew');
    if (d.action !== 'renew') return;
    expect(d.spec.renewTime).toBe('2025-03-01T12:00:02.000000Z');
    expect(d.spec.acquireTime).toBe(heldBy('me').acquireTime);
    expect(d.spec.leaseTransitions).toBe(4);
  });

  it('renews its own Lease even long after it expired (same identity after a stall)', () => {
    const d = decideLease({ ...base, nowMs: t0 + 3_600_000, lease: heldBy('me'), exists: true });
    expect(d.action).toBe('renew');
  });

  it('takes a released Lease (no holder) at once and counts a transition', () => {
    for (const holder of [null, '']) {
      const d = decideLease({ ...base, lease: heldBy(holder), exists: true });
      expect(d).toMatchObject({ action: 'acquire', previousHolder: undefined, spec: { holderIdentity: 'me', leaseTransitions: 5 } });
    }
  });

  it('waits while another holder\'s Lease is younger than its duration since we first saw this version', () => {
    const d = decideLease({ ...base, nowMs: t0 + 14_999, observedAtMs: t0, lease: heldBy('other'), exists: true });
    expect(d).toEqual({ action: 'wait', holder: 'other', expiresAtMs: t0 + 15_000 });
  });

  it('takes over from another holder once leaseDuration has passed since the version was observed', () => {
    const d = decideLease({ ...base, nowMs: t0 + 15_000, observedAtMs: t0, lease: heldBy('other'), exists: true });
    expect(d).toMatchObject({ action: 'acquire', previousHolder: 'other', spec: { holderIdentity: 'me', leaseTransitions: 5 } });
    if (d.action === 'acquire') expect(d.spec.acquireTime).toBe(d.spec.renewTime);
  });

  it('judges expiry by local observation, not by the holder\'s renewTime (clock skew)', () => {
    // The holder's clock is an hour behind: its renewTime looks ancient, yet we only just saw it change.
    const skewed = heldBy('other', { renewTime: microTime(new Date(t0 - 3_600_000)) });
    expect(decideLease({ ...base, nowMs: t0 + 1_000, observedAtMs: t0, lease: skewed, exists: true }).action).toBe('wait');
  });

  it('uses the holder\'s leaseDurationSeconds, not ours', () => {
    const d = decideLease({ ...base, nowMs: t0 + 20_000, observedAtMs: t0, lease: heldBy('other', { leaseDurationSeconds: 60 }), exists: true });
    expect(d.action).toBe('wait');
  });
});

describe('releasedLeaseSpec', () => {
  it('clears the holder and shortens the duration, keeping the transition count', () => {
    const r = releasedLeaseSpec(heldBy('me'), t0);
    expect(r).toMatchObject({ holderIdentity: null, leaseDurationSeconds: 1, leaseTransitions: 4 });
    // A standby sees a free Lease and takes it without waiting.
    expect(decideLease({ ...base, identity: 'standby', lease: r, exists: true }).action).toBe('acquire');
  });
});

describe('shouldStepDown', () => {
  const renewDeadlineSeconds = 10;
  it('keeps leading while renewals fail for less than renewDeadline', () => {
    expect(shouldStepDown({ lastRenewMs: t0, nowMs: t0 + 9_999, renewDeadlineSeconds, heldByOther: false })).toBe(false);
  });
  it('steps down once renewals have failed for renewDeadline', () => {
    expect(shouldStepDown({ lastRenewMs: t0, nowMs: t0 + 10_000, renewDeadlineSeconds, heldByOther: false })).toBe(true);
  });
  it('steps down at once when another identity holds the Lease', () => {
    expect(shouldStepDown({ lastRenewMs: t0, nowMs: t0 + 1, renewDeadlineSeconds, heldByOther: true })).toBe(true);
  });
});

describe('microTime', () => {
  it('formats with microseconds as Kubernetes MicroTime expects', () => {
    expect(microTime(new Date('2025-03-01T12:00:00.123Z'))).toBe('2025-03-01T12:00:00.123000Z');
  });
});
