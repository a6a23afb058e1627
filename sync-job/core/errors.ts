// Errors of the sync job: one class, a stable `code` per failure kind, and what each code means for the run.
// Callers and tests match on `code`; messages say what to do and never contain secrets.

export const syncErrorCodes = [
  'CONFIG_INVALID',
  'STATE_INVALID',
  'CREDENTIALS_INVALID',
  'SINK_CREDENTIALS_INVALID',
  'SOURCE_FORBIDDEN',
  'SOURCE_UNAVAILABLE',
  'SOURCE_REQUEST_INVALID',
  'SOURCE_NOT_FOUND',
  'SOURCE_BAD_RESPONSE',
  'SOURCE_PAGE_LIMIT',
  'SOURCE_LIST_SHIFTING',
  'RATE_LIMITED',
  'RATE_LIMIT_PAST_DEADLINE',
  'SOURCE_RESPONSE_TOO_LARGE',
  'SINK_REJECTED',
  'SINK_UNAVAILABLE',
  'RUN_ABORTED',
  'INTERNAL',
] as const;
export type SyncErrorCode = (typeof syncErrorCodes)[number];

/** Codes that stop the whole tenant and exit 2: retrying the Job cannot fix them, a person must. */
const fatalCodes: ReadonlySet<SyncErrorCode> = new Set([
  'CONFIG_INVALID',
  'STATE_INVALID',
  'CREDENTIALS_INVALID',
  'SINK_CREDENTIALS_INVALID',
]);

/** Codes after which no further stream can make progress in this run (every stream shares the sink). */
const stopsRunCodes: ReadonlySet<SyncErrorCode> = new Set([...fatalCodes, 'RUN_ABORTED', 'SINK_UNAVAILABLE', 'RATE_LIMIT_PAST_DEADLINE']);

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncError';
    this.code = code;
  }
}

export function isFatal(code: SyncErrorCode): boolean {
  return fatalCodes.has(code);
}

export function stopsRun(code: SyncErrorCode): boolean {
  return stopsRunCodes.has(code);
}

/** Any thrown value as a SyncError; unknown failures become INTERNAL with their message kept. */
export function toSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SyncError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** The one-line form used in results and logs: `CODE: message`. */
export function describeError(error: SyncError): string {
  return `${error.code}: ${error.message}`;
}
