// The operator's half of the cursor rules (docs/sync-job.md "Cursor rules"): a run's result moves each stream's cursor
// in the state ConfigMap only forward, so an older or repeated result never moves one back.
import { stateSchema, type Cursor, type JobResult, type JobState } from '../../sync-job/contract.js';
import { emptyState, stateFileName } from './desired-configmaps.js';

/** Milliseconds of a cursor's high-water mark; -Infinity for "from the start". */
function highWaterMs(cursor: Cursor | undefined): number {
  if (cursor?.updatedAt === undefined) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(cursor.updatedAt);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export interface CursorMerge {
  readonly cursor: Cursor;
  /** True when the merged cursor is further than `current`. */
  readonly advanced: boolean;
}

/**
 * The further of two cursors: the later high-water updatedAt wins; at the same second the ids
 * delivered at that second are united (both sets were acknowledged by the sink, so both are done).
 * A cursor without updatedAt means "from the start" and never wins over one that has it.
 */
export function mergeCursor(current: Cursor | undefined, incoming: Cursor | undefined): CursorMerge {
  const base: Cursor = current ?? {};
  if (incoming === undefined) return { cursor: base, advanced: false };
  const a = highWaterMs(current);
  const b = highWaterMs(incoming);
  if (b > a) return { cursor: incoming, advanced: true };
  if (b < a || b === Number.NEGATIVE_INFINITY) return { cursor: base, advanced: false };
  const known = new Set(base.ids ?? []);
  const added = (incoming.ids ?? []).filter((id) => !known.has(id));
  if (added.length === 0) return { cursor: base, advanced: false };
  return { cursor: { ...base, ids: [...(base.ids ?? []), ...added] }, advanced: true };
}

/** The later of two RFC 3339 times (either may be absent). */
function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export interface StateMerge {
  readonly state: JobState;
  /** True when anything in the state changed (a cursor advanced or a lastSuccessAt moved later). */
  readonly changed: boolean;
}

/**
 * Folds one run's result into the state, forward only: every stream's cursor becomes the further of
 * the stored one and the result's; lastSuccessAt becomes the run's startedAt for streams that
 * succeeded (the sync job's own rule), unless a later run already set a later one. Streams the
 * result does not mention, or that were not due, keep what they had. A run that started before a re-sync
 * reset a stream (its resetAt) leaves that stream alone: the reset is the one deliberate backwards move.
 */
export function mergeState(state: JobState, result: JobResult): StateMerge {
  const streams: JobState['streams'] = { ...state.streams };
  let changed = false;
  for (const [name, stream] of Object.entries(result.streams)) {
    if (stream.outcome === 'NotDue') continue;
    const previous = streams[name];
    // A re-sync set this cursor back after the run started: the run read the old cursor, so its result must not undo the reset.
    if (previous?.resetAt !== undefined && Date.parse(result.startedAt) < Date.parse(previous.resetAt)) continue;
    const merged = mergeCursor(previous?.cursor, stream.cursor);
    const lastSuccessAt = stream.outcome === 'Succeeded' ? laterTime(previous?.lastSuccessAt, result.startedAt) : previous?.lastSuccessAt;
    const successMoved = lastSuccessAt !== previous?.lastSuccessAt;
    if (!merged.advanced && !successMoved) continue;
    streams[name] = { ...previous, cursor: merged.cursor, ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}) };
    changed = true;
  }
  return { state: { ...state, version: 1, streams }, changed };
}

export type StateRead = { readonly ok: true; readonly state: JobState } | { readonly ok: false; readonly problem: string };

/** The state stored in the state ConfigMap's data; a missing key is the empty state, garbage is reported. */
export function readStateData(data: Record<string, string> | undefined): StateRead {
  const text = data?.[stateFileName];
  if (text === undefined || text.trim() === '') return { ok: true, state: emptyState };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `${stateFileName} is not JSON (${(err as Error).message})` };
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${stateFileName} does not match the state format: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, state: parsed.data };
}

/** A cursor for people (status.streams[].cursor): the high-water time plus how many ids share that second. */
export function cursorDisplay(cursor: Cursor | undefined): string | undefined {
  if (cursor?.updatedAt === undefined) return undefined;
  const ids = cursor.ids?.length ?? 0;
  return ids > 1 ? `${cursor.updatedAt} (+${ids} ids at that second)` : cursor.updatedAt;
}
