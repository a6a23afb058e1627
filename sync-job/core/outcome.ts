// The run's outcome and exit code from its streams' outcomes (pure), per the job contract:
// 0 all due streams succeeded, 1 a stream failed (retryable), 2 configuration or credentials error.
import { exitCodes, type JobResult } from '../contract.js';

type StreamOutcome = JobResult['streams'][string]['outcome'];
export type RunOutcome = JobResult['outcome'];

/**
 * Succeeded: every due stream succeeded (or nothing was due). Failed: a fatal error, or no due stream
 * succeeded. Otherwise PartiallySucceeded. A stream skipped for 403 counts as not succeeded.
 */
export function runOutcomeOf(streams: readonly StreamOutcome[], fatal: boolean): RunOutcome {
  if (fatal) return 'Failed';
  const due = streams.filter((outcome) => outcome !== 'NotDue');
  if (due.every((outcome) => outcome === 'Succeeded')) return 'Succeeded';
  return due.some((outcome) => outcome === 'Succeeded') ? 'PartiallySucceeded' : 'Failed';
}

/**
 * Exit 2 for fatal errors (the Job's podFailurePolicy fails at once); 1 when a stream failed or nothing
 * succeeded (the Job may retry); 0 otherwise — including a run whose only problem is a stream Freshdesk
 * forbids (403): retrying the Job cannot fix a plan or permission, and the result reports the skip.
 */
export function exitCodeOf(outcome: RunOutcome, streams: readonly StreamOutcome[], fatal: boolean): number {
  if (fatal) return exitCodes.configOrCredentials;
  if (outcome === 'Failed' || streams.includes('Failed')) return exitCodes.streamFailed;
  return exitCodes.ok;
}
