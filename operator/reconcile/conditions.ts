// kstatus-compatible conditions (Ready summary, Reconciling, Stalled, SyncHealthy) as data, and the
// one rule for changing them: lastTransitionTime moves only when a condition's status changes.
import { conditionTypes, type Condition } from '../api/tenantsync.js';

export { reasons } from '../api/reasons.js';

/** Order conditions are written in, so equal states serialize equally. Unknown types keep their place after these. */
const conditionOrder: readonly string[] = [conditionTypes.ready, conditionTypes.reconciling, conditionTypes.stalled, conditionTypes.syncHealthy];

export interface ConditionInput {
  readonly type: string;
  readonly status: Condition['status'];
  readonly reason: string;
  readonly message: string;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Sets one condition. lastTransitionTime is kept when the status is unchanged (only reason, message or
 * generation moved) and set to `now` when the status flips or the condition is new.
 */
export function setCondition(conditions: readonly Condition[], input: ConditionInput, generation: number | undefined, now: Date): Condition[] {
  const old = findCondition(conditions, input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old !== undefined && old.status === input.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    reason: input.reason,
    message: input.message,
  };
  return sortConditions([...conditions.filter((c) => c.type !== input.type), next]);
}

/** Removes a condition: kstatus reads an absent Reconciling or Stalled as False. */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

export function sortConditions(conditions: readonly Condition[]): Condition[] {
  const rank = (t: string) => {
    const i = conditionOrder.indexOf(t);
    return i < 0 ? conditionOrder.length : i;
  };
  return [...conditions].sort((a, b) => rank(a.type) - rank(b.type));
}
