// The one Event a pass records for the children it created or changed. Pure.
// A new tenant's pass creates three children (config ConfigMap, state ConfigMap, CronJob): one Event names all
// three, where an Event per child made every new tenant cost three Event writes (at 5,000 tenants applied at
// once, 15,000 writes into etcd), as Flux's controllers report one change set per reconcile.
import { eventReasons } from '../api/reasons.js';
import type { StatusEvent } from './status.js';

/** A child a pass created or changed. */
export interface ChildChange {
  readonly action: 'created' | 'updated';
  readonly kind: string;
  readonly name: string;
  /** Fields that differed (an update), for the message; the first 5 are named. */
  readonly fields?: readonly string[];
  /** What the user should know besides the name (e.g. that a state ConfigMap starts empty). */
  readonly note?: string;
}

/** The Event (always Normal) for a pass's child changes. */
export interface ChildrenEvent {
  readonly reason: string;
  readonly message: string;
}

/** At most this many fields of one child are named in the message. */
const namedFieldsMax = 5;

/**
 * The Event for a pass's child changes, or undefined when nothing changed. `ChildrenCreated` when every change
 * was a create, `ChildrenUpdated` when at least one existing child was changed (its fields named).
 */
export function childrenEvent(changes: readonly ChildChange[]): ChildrenEvent | undefined {
  if (changes.length === 0) return undefined;
  const describe = (c: ChildChange) => {
    const fields = c.fields ?? [];
    const named = fields.length === 0 ? '' : ` (${fields.slice(0, namedFieldsMax).join(', ')}${fields.length > namedFieldsMax ? ', …' : ''})`;
    return `${c.kind} ${c.name}${named}${c.note === undefined ? '' : ` (${c.note})`}`;
  };
  const created = changes.filter((c) => c.action === 'created').map(describe);
  const updated = changes.filter((c) => c.action === 'updated').map(describe);
  const parts = [created.length > 0 ? `Created ${listOf(created)}` : undefined, updated.length > 0 ? `${created.length > 0 ? 'updated' : 'Updated'} ${listOf(updated)}` : undefined];
  return {
    reason: updated.length === 0 ? eventReasons.childrenCreated : eventReasons.childrenUpdated,
    message: parts.filter((p) => p !== undefined).join('; '),
  };
}

/** "a", "a and b", "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The Events of a pass's status write, in order: the children's (created or updated), then Ready's when it
 * changed. A new tenant's first Ready=True joins its ChildrenCreated ("…; ready: <message>"), so the birth of a
 * tenant is one Event, not two; a Warning, or any later change of Ready, keeps its own Event and reason.
 */
export function statusWriteEvents(children: ChildrenEvent | undefined, ready: StatusEvent | undefined, firstReady: boolean): StatusEvent[] {
  if (children === undefined) return ready === undefined ? [] : [ready];
  if (ready !== undefined && firstReady && ready.type === 'Normal' && children.reason === eventReasons.childrenCreated) {
    return [{ type: 'Normal', reason: children.reason, message: `${children.message}; ready: ${ready.message}` }];
  }
  return [{ type: 'Normal', ...children }, ...(ready === undefined ? [] : [ready])];
}
