// Typed reconcile errors (Flux's stalled / waiting / generic) and the error policy (kube-rs's
// error_policy): how a failed reconcile is reported and retried is a function of its error, in one place.
import { KubeApiError, isTransientKubeError, isUntypableApply } from '../kube/errors.js';
import { reasons } from '../api/reasons.js';

/** Needs a person (bad spec, name taken). Reported as Stalled; retried only if `retryAfterMs` is set. */
export class StalledError extends Error {
  override readonly name = 'StalledError';
  readonly code = 'RECONCILE_STALLED' as const;
  constructor(
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Something must happen first (e.g. a cache catching up): try again after `retryAfterMs`, not a failure. */
export class WaitingError extends Error {
  override readonly name = 'WaitingError';
  readonly code = 'RECONCILE_WAITING' as const;
  constructor(
    readonly reason: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** What the controller does after a reconcile that threw. */
export type ErrorAction =
  /** Report as Stalled; requeue after `requeueAfterMs` if set, else wait for a change to the object. */
  | { readonly kind: 'stalled'; readonly reason: string; readonly message: string; readonly requeueAfterMs: number | undefined }
  /** Report nothing new; requeue after the delay. */
  | { readonly kind: 'wait'; readonly reason: string; readonly message: string; readonly requeueAfterMs: number }
  /**
   * Report as Reconciling (ProgressingWithRetry); the work queue retries with per-key exponential backoff.
   * `transient` (429, 5xx, timeouts, conflicts) is reported only once it repeats (transientFailuresBeforeReport).
   */
  | { readonly kind: 'retry'; readonly reason: string; readonly message: string; readonly transient: boolean };

/**
 * A transient API error (one 429, 5xx or timeout) does not flip Ready or emit an Event: GitOps tools turn
 * such flapping into alerts. Only this many in a row for one TenantSync are reported.
 */
export const transientFailuresBeforeReport = 3;

/**
 * The error policy. The API server refusing what we sent (422 Invalid, 400, an apply it cannot type) is a spec the CRD let
 * through but Kubernetes will not take: stalled, no retry storm. Every other Kubernetes error and any
 * unexpected error is retried with backoff.
 */
export function errorPolicy(err: unknown): ErrorAction {
  if (err instanceof StalledError) return { kind: 'stalled', reason: err.reason, message: err.message, requeueAfterMs: err.retryAfterMs };
  if (err instanceof WaitingError) return { kind: 'wait', reason: err.reason, message: err.message, requeueAfterMs: err.retryAfterMs };
  if (err instanceof KubeApiError && !isTransientKubeError(err) && (err.code === 'KUBE_INVALID' || err.code === 'KUBE_BAD_REQUEST' || isUntypableApply(err))) {
    return { kind: 'stalled', reason: reasons.invalidSpec, message: `the API server rejected a child object: ${err.message}`, requeueAfterMs: undefined };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'retry', reason: err instanceof KubeApiError ? reasons.kubeApiError : reasons.reconcileError, message, transient: isTransientKubeError(err) };
}
