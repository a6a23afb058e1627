// Re-sync (backfill), declaratively: a new value of tenantsync.io/resync-requested-at resets the cursors of
// the streams named by tenantsync.io/resync to a time (or to the start) in the state ConfigMap and starts one
// run, once per value (echoed to status.lastHandledResyncRequest), like run-now.
import { freshdeskApiRoot, type JobConfig, type JobState } from '../../sync-job/contract.js';
import { resyncAnnotation, resyncRequestedAtAnnotation } from '../api/tenantsync.js';
import { cursorDisplay } from './cursor-merge.js';
import { manualJobName } from './names.js';

export interface ResyncRequest {
  /** The resync-requested-at value: once per value. */
  readonly value: string;
  readonly streams: readonly string[];
  /** RFC 3339 time the cursors go back to; undefined: from the start (spec.source.startDate, if any). */
  readonly from: string | undefined;
}

export type ResyncParse = { readonly ok: true; readonly streams: readonly string[]; readonly from: string | undefined } | { readonly ok: false; readonly problem: string };

const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Parses `<stream>[,<stream>…][@<RFC 3339 time>]` (`*` for every stream of the spec). */
export function parseResync(text: string | undefined, streamNames: readonly string[]): ResyncParse {
  const allowed = `${resyncAnnotation} must be "<stream>[,<stream>…][@<RFC 3339 time>]" or "*[@<time>]", e.g. "tickets,contacts@2024-01-01T00:00:00Z"; streams: ${streamNames.join(', ')}`;
  if (text === undefined || text.trim() === '') return { ok: false, problem: `${resyncAnnotation} is missing: ${allowed}` };
  const [list = '', from, ...rest] = text.trim().split('@');
  if (rest.length > 0) return { ok: false, problem: `${resyncAnnotation} "${text}" has more than one @: ${allowed}` };
  if (from !== undefined && (!rfc3339.test(from) || Number.isNaN(Date.parse(from)))) {
    return { ok: false, problem: `${resyncAnnotation} "${text}": "${from}" is not an RFC 3339 time: ${allowed}` };
  }
  const names = list.split(',').map((n) => n.trim());
  const streams = names.length === 1 && names[0] === '*' ? [...streamNames] : names;
  const unknown = streams.filter((n) => !streamNames.includes(n));
  if (streams.length === 0 || unknown.length > 0) {
    return { ok: false, problem: `${resyncAnnotation} "${text}" names ${unknown.map((n) => `"${n}"`).join(', ') || 'no stream'}, not a stream of this TenantSync: ${allowed}` };
  }
  return { ok: true, streams: [...new Set(streams)], from };
}

export type ResyncDecision =
  | { readonly action: 'none' }
  | { readonly action: 'wait'; readonly value: string }
  | { readonly action: 'reject'; readonly value: string; readonly problem: string }
  | { readonly action: 'resync'; readonly request: ResyncRequest; readonly jobName: string };

export interface ResyncInputs {
  readonly name: string;
  readonly annotations: Record<string, string> | undefined;
  readonly lastHandledResyncRequest: string | undefined;
  readonly streamNames: readonly string[];
  /** False while the Job could not start (missing Secret). */
  readonly canRun: boolean;
}

/** Whether this reconcile should reset cursors and start a run. */
export function decideResync(inputs: ResyncInputs): ResyncDecision {
  const value = inputs.annotations?.[resyncRequestedAtAnnotation];
  if (value === undefined || value === '' || value === inputs.lastHandledResyncRequest) return { action: 'none' };
  const parsed = parseResync(inputs.annotations?.[resyncAnnotation], inputs.streamNames);
  if (!parsed.ok) return { action: 'reject', value, problem: parsed.problem };
  if (!inputs.canRun) return { action: 'wait', value };
  // Not the run-now Job's name for the same value: both may be requested with one `date`.
  return { action: 'resync', request: { value, streams: parsed.streams, from: parsed.from }, jobName: manualJobName(inputs.name, `resync ${value}`) };
}

export interface CursorReset {
  readonly state: JobState;
  /** False when this request already reset the state (a retried pass): nothing to write. */
  readonly changed: boolean;
  /** "tickets: 2026-01-05T10:00:00Z → 2024-01-01T00:00:00Z" per stream, for the Event and the log. */
  readonly described: string[];
}

/** The state with the request's streams set back to `from` (or the start), marked with `now` and the request. */
export function resetCursors(state: JobState, request: ResyncRequest, now: Date): CursorReset {
  if (request.streams.every((n) => state.streams[n]?.resetBy === request.value)) return { state, changed: false, described: [] };
  const streams: JobState['streams'] = { ...state.streams };
  const described: string[] = [];
  for (const name of request.streams) {
    const previous = streams[name];
    const cursor = request.from === undefined ? {} : { updatedAt: request.from };
    streams[name] = { ...previous, cursor, resetAt: now.toISOString(), resetBy: request.value };
    described.push(`${name}: ${cursorDisplay(previous?.cursor) ?? 'the start'} → ${request.from ?? 'the start'}`);
  }
  return { state: { ...state, version: 1, streams }, changed: true, described };
}

/**
 * What a state's `source` says for a job config: the Freshdesk API it reads (as the job addresses it, so
 * `domain: acme.freshdesk.com` and `baseUrl: https://ACME.freshdesk.com/api/v2/` are one) and its tenant id.
 */
export function stateSource(config: Pick<JobConfig, 'tenantId'> & { readonly source: Pick<JobConfig['source'], 'baseUrl'> }): string {
  return `${freshdeskApiRoot(config.source.baseUrl)} tenant ${config.tenantId}`;
}

export interface SourceCheck {
  readonly state: JobState;
  readonly changed: boolean;
  /** Set when the cursors were another source's: what they were for, and what each stream was at. */
  readonly reset?: { readonly from: string; readonly described: string[] };
}

/**
 * The state for `source`: one without a source (made before it was recorded) gets it, as is; one kept for another
 * source (spec.source.domain/baseUrl or spec.tenantId changed) starts over — every cursor from the start, marked
 * reset now, so a run that started before does not move it again. `streamNames` (the spec's) are marked too, also
 * those with no cursor yet: a first run of the old source still under way must not give them its cursors.
 */
export function stateForSource(state: JobState, source: string, now: Date, streamNames: readonly string[]): SourceCheck {
  if (state.source === source) return { state, changed: false };
  if (state.source === undefined) return { state: { ...state, source }, changed: true };
  const streams: JobState['streams'] = {};
  const described: string[] = [];
  for (const name of new Set([...Object.keys(state.streams), ...streamNames])) {
    streams[name] = { cursor: {}, resetAt: now.toISOString(), resetBy: `source ${source}` };
    const before = cursorDisplay(state.streams[name]?.cursor);
    if (before !== undefined) described.push(`${name}: ${before} → the start`);
  }
  return { state: { version: 1, source, streams }, changed: true, reset: { from: state.source, described } };
}
