// One Event per pass for the children it created or changed (not one per child).
import { describe, expect, it } from 'vitest';
import { childrenEvent } from '../../../operator/reconcile/child-events.js';

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
