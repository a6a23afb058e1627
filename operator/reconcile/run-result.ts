// What one finished Job of a TenantSync did, as a pure function of the Job and its pods: the sync
// job's result from the termination message (zod-validated), or — when there is none or it is
// garbage — a Failed run whose message says what Kubernetes knows (Job condition, container reason,
// exit code). Nothing here throws on bad input: a broken pod is a failed run, never a crashed operator.
import type { V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { resultSchema, type JobResult } from '../../sync-job/contract.js';
import { instantiateAnnotation, triggerLabel } from './labels.js';
import { syncContainerName } from './desired-cronjob.js';

/**
 * Annotation the operator puts on a Job once its result is in the state ConfigMap and in status
 * (value: the run's outcome). A Job carrying it is never applied again, across passes and restarts.
 */
export const resultAppliedAnnotation = 'tenantsync.io/result-applied';

export type RunOutcome = JobResult['outcome'];
export type Trigger = 'scheduled' | 'manual';

/** Longest message kept in status and Events (a result is ≤ 4 KiB; a message should be read at a glance). */
export const maxRunMessageLength = 1024;
const maxExcerptLength = 200;

type Time = string | Date | null | undefined;

/**
 * RFC 3339 with second precision (as the API server writes times); undefined for a missing, null or bad time.
 * The API sends null for times it does not know (a container the kubelet could not locate has
 * `terminated.startedAt/finishedAt: null`), whatever client-node's types say.
 */
export function toTime(time: Time): string | undefined {
  if (time === undefined || time === null) return undefined;
  const ms = typeof time === 'string' ? Date.parse(time) : time.getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** toTime in milliseconds since the epoch; undefined for a missing, null or bad time. */
export function timeMs(time: Time): number | undefined {
  const t = toTime(time);
  return t === undefined ? undefined : Date.parse(t);
}

/** The latest of these times in milliseconds; undefined when none is a time. */
export function latestMs(times: readonly Time[]): number | undefined {
  const ms = times.map(timeMs).filter((t): t is number => t !== undefined);
  return ms.length === 0 ? undefined : Math.max(...ms);
}

export interface JobFinish {
  readonly state: 'Complete' | 'Failed';
  /** When the Job finished (its terminal condition's transition, else completionTime). */
  readonly time: string;
  readonly reason: string | undefined;
  readonly message: string | undefined;
}

/** The Job's terminal condition, or undefined while it still runs (FailureTarget/SuccessCriteriaMet are not terminal). */
export function jobFinish(job: V1Job): JobFinish | undefined {
  const terminal = (job.status?.conditions ?? []).find(
    (c: V1JobCondition) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  if (terminal === undefined) return undefined;
  const time =
    toTime(terminal.lastTransitionTime as Time) ??
    toTime(job.status?.completionTime as Time) ??
    toTime(job.metadata?.creationTimestamp as Time) ??
    new Date(0).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { state: terminal.type as 'Complete' | 'Failed', time, reason: terminal.reason || undefined, message: terminal.message || undefined };
}

/** manual for run-now Jobs and `kubectl create job --from=cronjob/…`; scheduled for the CronJob controller's own. */
export function jobTrigger(job: V1Job): Trigger {
  const meta = job.metadata;
  if (meta?.annotations?.[instantiateAnnotation] === 'manual' || meta?.labels?.[triggerLabel] === 'manual') return 'manual';
  return 'scheduled';
}

export function isResultApplied(job: V1Job): boolean {
  return job.metadata?.annotations?.[resultAppliedAnnotation] !== undefined;
}

/** One pod of the Job, as far as the result is concerned. */
export interface Attempt {
  readonly podName: string;
  readonly phase: string | undefined;
  readonly status: V1ContainerStatus | undefined;
  /** When it finished (container finishedAt), else when it was created: orders the attempts. */
  readonly orderTime: number;
}

function syncStatus(pod: V1Pod): V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === syncContainerName) ?? statuses[0];
}

/** The Job's pods as attempts, oldest first. */
export function attemptsOf(pods: readonly V1Pod[]): Attempt[] {
  return pods
    .map((pod) => {
      const status = syncStatus(pod);
      const finished = toTime(status?.state?.terminated?.finishedAt as Time);
      const created = toTime(pod.metadata?.creationTimestamp as Time);
      const orderTime = Date.parse(finished ?? created ?? '1970-01-01T00:00:00Z');
      return { podName: pod.metadata?.name ?? '', phase: pod.status?.phase, status, orderTime };
    })
    .sort((a, b) => a.orderTime - b.orderTime || (a.podName < b.podName ? -1 : a.podName > b.podName ? 1 : 0));
}

/**
 * The attempt whose result stands for the run: for a Complete Job the newest pod that succeeded;
 * otherwise the newest pod whose sync container terminated; otherwise the newest pod at all.
 */
export function pickAttempt(attempts: readonly Attempt[], finish: JobFinish): Attempt | undefined {
  const newestFirst = [...attempts].reverse();
  if (finish.state === 'Complete') {
    const succeeded = newestFirst.find((a) => a.phase === 'Succeeded');
    if (succeeded) return succeeded;
  }
  return newestFirst.find((a) => a.status?.state?.terminated !== undefined) ?? newestFirst[0];
}

export type ParsedMessage =
  | { readonly kind: 'result'; readonly result: JobResult }
  | { readonly kind: 'missing' }
  | { readonly kind: 'garbage'; readonly problem: string };

/** The last line of a text, shortened; for a pino JSON line its msg (and err), which is what people need. */
function excerpt(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let last = lines.at(-1) ?? '';
  try {
    const line = JSON.parse(last) as { msg?: unknown; err?: unknown };
    if (typeof line.msg === 'string') last = typeof line.err === 'string' ? `${line.msg}: ${line.err}` : line.msg;
  } catch {
    // not a JSON log line: show it as it is
  }
  return last.length > maxExcerptLength ? `${last.slice(0, maxExcerptLength - 1)}…` : last;
}

/** Reads a termination message as the sync job's result (the contract's zod schema). */
export function parseTerminationMessage(text: string | undefined): ParsedMessage {
  if (text === undefined || text.trim() === '') return { kind: 'missing' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'garbage', problem: `it is not JSON (last line: "${excerpt(text)}")` };
  }
  const parsed = resultSchema.safeParse(json);
  if (parsed.success) return { kind: 'result', result: parsed.data };
  const issue = parsed.error.issues[0];
  return { kind: 'garbage', problem: `it is not a sync result (${issue?.path.join('.') || '(root)'}: ${issue?.message})` };
}

/** One finished run, ready to be folded into state and status. */
export interface RunRecord {
  readonly jobName: string;
  readonly jobUid: string | undefined;
  readonly trigger: Trigger;
  readonly startTime: string | undefined;
  readonly completionTime: string;
  readonly outcome: RunOutcome;
  readonly records: number;
  readonly message: string;
  /** The result of the attempt that stands for the run, when it had a valid one. */
  readonly result: JobResult | undefined;
  /** Every valid result of the Job's attempts, oldest first: each carries cursors the sink acknowledged. */
  readonly cursorResults: readonly JobResult[];
}

export function totalRecords(result: JobResult): number {
  return Object.values(result.streams).reduce((sum, s) => sum + s.records, 0);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > maxRunMessageLength ? `${oneLine.slice(0, maxRunMessageLength - 1)}…` : oneLine;
}

/** What a valid result says, for people. */
export function resultMessage(result: JobResult): string {
  const streams = Object.entries(result.streams);
  // Records the lookback re-read and tickets whose conversations Freshdesk refused are said, not hidden.
  const detail = (s: JobResult['streams'][string]) =>
    [s.redelivered ? `${s.redelivered} re-read` : '', s.skipped ? `${s.skipped.count} skipped` : ''].filter(Boolean).join(', ');
  const ran = streams.filter(([, s]) => s.outcome === 'Succeeded').map(([n, s]) => `${n} ${s.records}${detail(s) ? ` (${detail(s)})` : ''}`);
  // A stream that failed for the run's own error (e.g. credentials) is named, not described again.
  const runWhy = result.error?.replace(/^[A-Z_]+: /, '');
  const failed = streams
    .filter(([, s]) => s.outcome === 'Failed')
    .map(([n, s]) => {
      if (s.error === undefined) return n;
      if (runWhy !== undefined && s.error.includes(runWhy)) return s.error.includes('not started') ? `${n} (not started)` : n;
      return `${n}: ${s.error}`;
    });
  const skipped = streams.filter(([, s]) => s.outcome === 'Skipped').map(([n, s]) => `${n}: ${s.error ?? 'skipped'}`);
  const notDue = streams.filter(([, s]) => s.outcome === 'NotDue').map(([n]) => n);
  const parts: string[] = [];
  if (result.outcome === 'Succeeded') parts.push(`synced ${totalRecords(result)} records${ran.length ? ` (${ran.join(', ')})` : ''}`);
  else {
    if (result.error) parts.push(result.error);
    if (failed.length) parts.push(`failed streams: ${failed.join(failed.some((f) => f.includes(':')) ? '; ' : ', ')}`);
    if (ran.length) parts.push(`succeeded: ${ran.join(', ')}`);
  }
  if (skipped.length) parts.push(`skipped: ${skipped.join('; ')}`);
  if (notDue.length) parts.push(`not due: ${notDue.join(', ')}`);
  if (parts.length === 0) parts.push(result.outcome === 'Succeeded' ? 'synced 0 records' : 'the run failed without naming a reason');
  return clip(parts.join('; '));
}

/** Container reasons meaning the image could not be pulled or named: the container never ran. */
export const imagePullReasons: ReadonlySet<string> = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** What Kubernetes says about a run that left no usable result: Job condition, container state, exit code. */
export function noResultMessage(finish: JobFinish, attempt: Attempt | undefined, parsed: ParsedMessage): string {
  const parts: string[] = [];
  const jobWhy = [finish.reason, finish.message].filter((x) => x !== undefined).join(': ');
  parts.push(finish.state === 'Failed' ? `Job failed${jobWhy ? ` (${jobWhy})` : ''}` : 'Job completed');
  const hints: string[] = [];
  if (attempt === undefined) {
    parts.push('its pods are gone, so no result could be read');
  } else {
    const terminated = attempt.status?.state?.terminated;
    const waiting = attempt.status?.state?.waiting;
    // Kubelets report an image they cannot pull as waiting, or — once the pod has failed — as terminated
    // with the pull reason; either way the container never ran and its message is the pull error.
    const pullFailed = terminated !== undefined && imagePullReasons.has(terminated.reason ?? '');
    if (terminated !== undefined && pullFailed) {
      parts.push(`container ${syncContainerName} of pod ${attempt.podName} never ran (${[terminated.reason, terminated.message?.trim()].filter(Boolean).join(': ')})`);
      hints.push('check spec.job.image');
    } else if (terminated !== undefined) {
      const why = terminated.reason && terminated.reason !== 'Error' && terminated.reason !== 'Completed' ? `${terminated.reason}, ` : '';
      parts.push(`container ${syncContainerName} of pod ${attempt.podName} ended (${why}exit code ${terminated.exitCode})`);
      if (terminated.reason === 'OOMKilled' || terminated.exitCode === 137) hints.push('if it ran out of memory, raise spec.job.resources.limits.memory');
    } else if (waiting !== undefined) {
      parts.push(`container ${syncContainerName} of pod ${attempt.podName} never ran (${[waiting.reason, waiting.message].filter(Boolean).join(': ') || 'waiting'})`);
      if (imagePullReasons.has(waiting.reason ?? '')) hints.push('check spec.job.image');
    } else {
      parts.push(`pod ${attempt.podName} never started its container (phase ${attempt.phase ?? 'unknown'})`);
    }
    if (parsed.kind === 'missing' && !pullFailed) parts.push('it left no result (empty termination message)');
    if (parsed.kind === 'garbage' && !pullFailed) parts.push(`its termination message was not used: ${parsed.problem}`);
  }
  if (finish.reason === 'DeadlineExceeded') hints.push('if runs need longer, raise spec.job.timeout');
  return clip(`no result from the sync job: ${[...parts, ...hints].join('; ')}`);
}

/** The run of a finished Job. `finish` must be jobFinish(job). */
export function runRecord(job: V1Job, finish: JobFinish, pods: readonly V1Pod[]): RunRecord {
  const attempts = attemptsOf(pods);
  const chosen = pickAttempt(attempts, finish);
  const parsedOf = (a: Attempt) => parseTerminationMessage(a.status?.state?.terminated?.message);
  const cursorResults = attempts.flatMap((a) => {
    const p = parsedOf(a);
    return p.kind === 'result' ? [p.result] : [];
  });
  const parsed: ParsedMessage = chosen === undefined ? { kind: 'missing' } : parsedOf(chosen);
  const base = {
    jobName: job.metadata?.name ?? '',
    jobUid: job.metadata?.uid,
    trigger: jobTrigger(job),
    startTime: toTime(job.status?.startTime as Time),
    completionTime: finish.time,
    cursorResults,
  };
  if (parsed.kind !== 'result') {
    return { ...base, outcome: 'Failed', records: 0, message: noResultMessage(finish, chosen, parsed), result: undefined };
  }
  const result = parsed.result;
  // A Job that failed although its last attempt reported success (e.g. killed after writing it) did not succeed.
  const outcome: RunOutcome = finish.state === 'Failed' && result.outcome === 'Succeeded' ? 'Failed' : result.outcome;
  const message =
    outcome === result.outcome
      ? resultMessage(result)
      : clip(`Job failed (${[finish.reason, finish.message].filter(Boolean).join(': ') || 'no reason given'}) after the run reported: ${resultMessage(result)}`);
  return { ...base, outcome, records: totalRecords(result), message, result };
}
