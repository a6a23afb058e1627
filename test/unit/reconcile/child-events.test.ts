// One Event per pass for the children it created or changed (not one per child), and a new tenant's first
// Ready=True told in that Event rather than in one of its own.
import { describe, expect, it } from 'vitest';
import { childrenEvent, statusWriteEvents } from '../../../operator/reconcile/child-events.js';

describe('childrenEvent', () => {
  it('nothing changed: no Event', () => expect(childrenEvent([])).toBeUndefined());

  it("a new tenant's three children: one ChildrenCreated naming each, with what the user should know", () => {
    expect(
      childrenEvent([
        { action: 'created', kind: 'ConfigMap', name: 'acme-config' },
        { action: 'created', kind: 'ConfigMap', name: 'acme-state', note: 'an empty sync state' },
        { action: 'created', kind: 'CronJob', name: 'acme' },
      ]),
    ).toEqual({ reason: 'ChildrenCreated', message: 'Created ConfigMap acme-config, ConfigMap acme-state (an empty sync state) and CronJob acme' });
  });

  it('a changed child: ChildrenUpdated with the fields that differed (five at most)', () => {
    expect(childrenEvent([{ action: 'updated', kind: 'CronJob', name: 'acme', fields: ['spec.schedule'] }])).toEqual({
      reason: 'ChildrenUpdated',
      message: 'Updated CronJob acme (spec.schedule)',
    });
    expect(childrenEvent([{ action: 'updated', kind: 'CronJob', name: 'acme', fields: ['a', 'b', 'c', 'd', 'e', 'f'] }])?.message).toBe('Updated CronJob acme (a, b, c, d, e, …)');
  });

  it('created and changed in one pass: ChildrenUpdated, telling both', () => {
    expect(
      childrenEvent([
        { action: 'updated', kind: 'ConfigMap', name: 'acme-config', fields: ['data'] },
        { action: 'created', kind: 'CronJob', name: 'acme' },
      ]),
    ).toEqual({ reason: 'ChildrenUpdated', message: 'Created CronJob acme; updated ConfigMap acme-config (data)' });
  });
});

describe('statusWriteEvents', () => {
  const created = { reason: 'ChildrenCreated', message: 'Created ConfigMap a-config, ConfigMap a-state and CronJob a' };
  const ready = { type: 'Normal' as const, reason: 'Reconciled', message: 'Next run at 12:00' };

  it("a new tenant's first Ready=True joins its ChildrenCreated: one Event", () => {
    expect(statusWriteEvents(created, ready, true)).toEqual([{ type: 'Normal', reason: 'ChildrenCreated', message: `${created.message}; ready: Next run at 12:00` }]);
  });

  it('a Warning, a later Ready change or an update keeps its own Event, after the children', () => {
    const warning = { type: 'Warning' as const, reason: 'SecretNotFound', message: 'Secret fd not found' };
    expect(statusWriteEvents(created, warning, true)).toEqual([{ type: 'Normal', ...created }, warning]);
    expect(statusWriteEvents(created, ready, false)).toEqual([{ type: 'Normal', ...created }, ready]);
    const updated = { reason: 'ChildrenUpdated', message: 'Updated CronJob a (spec.schedule)' };
    expect(statusWriteEvents(updated, ready, true)).toEqual([{ type: 'Normal', ...updated }, ready]);
  });

  it('without children to tell: Ready alone, or nothing', () => {
    expect(statusWriteEvents(undefined, ready, true)).toEqual([ready]);
    expect(statusWriteEvents(undefined, undefined, true)).toEqual([]);
    expect(statusWriteEvents(created, undefined, true)).toEqual([{ type: 'Normal', ...created }]);
  });
});
