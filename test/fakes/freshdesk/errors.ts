// Freshdesk's error bodies (FRESHDESK.md "Errors"): the validation body of 400s and the code/message
// bodies of 401/403/500, exactly as clients parse them.

export interface ValidationError {
  field: string;
  message: string;
  code: 'invalid_value' | 'invalid_field' | 'datatype_mismatch' | 'missing_field';
}

export function validationFailedBody(errors: readonly ValidationError[]): object {
  return { description: 'Validation failed', errors };
}

export const invalidCredentialsBody = {
  code: 'invalid_credentials',
  message: 'You have to be logged in to perform this action.',
} as const;

export const accessDeniedBody = {
  code: 'access_denied',
  message: 'You are not authorized to perform this action.',
} as const;

/** Freshdesk does not document the 500 body; this mirrors the code/message shape of its other errors. */
export const internalErrorBody = {
  code: 'internal_error',
  message: "We're sorry, but something went wrong.",
} as const;

/** The 429 body is undocumented; clients must rely on the status and Retry-After, not this text. */
export function rateLimitedBody(retryAfterSeconds: number): object {
  return { message: `You have exceeded the limit of requests per minute. Please try again after ${retryAfterSeconds} seconds.` };
}

export const ticketsPageLimitMessage =
  'You cannot access tickets beyond the 300th page. Please provide a smaller page number.';
