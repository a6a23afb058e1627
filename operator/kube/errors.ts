// Errors from talking to the Kubernetes API, each with a stable `code` that callers and tests
// match on (never on messages), built from the API server's Status object when there is one.

/** Stable codes; one per way a Kubernetes request can fail that a caller may want to handle. */
export type KubeErrorCode =
  | 'KUBE_NOT_FOUND' // 404
  | 'KUBE_ALREADY_EXISTS' // 409 reason AlreadyExists
  | 'KUBE_CONFLICT' // 409 (optimistic concurrency or SSA field conflict)
  | 'KUBE_GONE' // 410: resourceVersion too old, relist
  | 'KUBE_INVALID' // 422
  | 'KUBE_BAD_REQUEST' // 400
  | 'KUBE_UNAUTHORIZED' // 401
  | 'KUBE_FORBIDDEN' // 403
  | 'KUBE_TOO_MANY_REQUESTS' // 429
  | 'KUBE_SERVER_ERROR' // 5xx
  | 'KUBE_UNAVAILABLE' // no HTTP response: connection refused/reset, DNS, TLS
  | 'KUBE_TIMEOUT' // our own request deadline passed
  | 'KUBE_ERROR'; // any other status

/** The parts of a metav1.Status we use. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; retryAfterSeconds?: number; causes?: { message?: string; field?: string }[] };
}

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code: KubeErrorCode;
  /** HTTP status, undefined when no response arrived. */
  readonly statusCode: number | undefined;
  /** metav1.Status reason (NotFound, Conflict, Expired, ...). */
  readonly reason: string | undefined;
  readonly status: KubeStatus | undefined;
  readonly method: string;
  readonly path: string;
  /** Seconds the server asked us to wait (Retry-After header, or the Status's details.retryAfterSeconds). */
  retryAfterSeconds: number | undefined;

  constructor(opts: {
    code: KubeErrorCode;
    message: string;
    method: string;
    path: string;
    statusCode?: number;
    status?: KubeStatus;
    cause?: unknown;
  }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.statusCode = opts.statusCode;
    this.status = opts.status;
    this.reason = opts.status?.reason;
    this.method = opts.method;
    this.path = opts.path;
  }
}

/** Maps an HTTP status (and the Status reason) to our stable code. Pure. */
export function kubeErrorCodeFor(statusCode: number, reason?: string): KubeErrorCode {
  if (statusCode === 404) return 'KUBE_NOT_FOUND';
  if (statusCode === 409) return reason === 'AlreadyExists' ? 'KUBE_ALREADY_EXISTS' : 'KUBE_CONFLICT';
  if (statusCode === 410) return 'KUBE_GONE';
  if (statusCode === 422) return 'KUBE_INVALID';
  if (statusCode === 400) return 'KUBE_BAD_REQUEST';
  if (statusCode === 401) return 'KUBE_UNAUTHORIZED';
  if (statusCode === 403) return 'KUBE_FORBIDDEN';
  if (statusCode === 429) return 'KUBE_TOO_MANY_REQUESTS';
  if (statusCode >= 500) return 'KUBE_SERVER_ERROR';
  return 'KUBE_ERROR';
}

export const isKubeError = (err: unknown, code?: KubeErrorCode): err is KubeApiError =>
  err instanceof KubeApiError && (code === undefined || err.code === code);
export const isNotFound = (err: unknown): boolean => isKubeError(err, 'KUBE_NOT_FOUND');
export const isConflict = (err: unknown): boolean => isKubeError(err, 'KUBE_CONFLICT');
export const isAlreadyExists = (err: unknown): boolean => isKubeError(err, 'KUBE_ALREADY_EXISTS');
export const isGone = (err: unknown): boolean => isKubeError(err, 'KUBE_GONE');

/**
 * Server-side apply answers an object that does not fit the resource's schema (a field Kubernetes does not
 * know, deep in a pod template) with 500 "failed to create typed patch object": a refusal of the request,
 * which no retry changes, not a server failure.
 */
export function isUntypableApply(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 'KUBE_SERVER_ERROR' && err.message.includes('failed to create typed patch object');
}

/** True for failures that say nothing about the request itself: worth retrying with backoff. */
export function isTransientKubeError(err: unknown): boolean {
  if (!(err instanceof KubeApiError) || isUntypableApply(err)) return false;
  return ['KUBE_UNAVAILABLE', 'KUBE_TIMEOUT', 'KUBE_SERVER_ERROR', 'KUBE_TOO_MANY_REQUESTS', 'KUBE_CONFLICT'].includes(err.code);
}

/** The kubeconfig could not be found or used. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  readonly code = 'KUBECONFIG_NOT_FOUND' as const;
}
