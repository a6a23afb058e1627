// Helpers for answers of the Kubernetes API as @kubernetes/client-node v2 reports them
// (ApiException with the HTTP code), so callers can tell "not found" from "try again".
import { ApiException } from '@kubernetes/client-node';

export function isApiStatus(error: unknown, ...codes: number[]): boolean {
  return error instanceof ApiException && codes.includes(error.code);
}

/** A one-line description for logs: the API's message when there is one, else the error's. */
export function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    let message: string | undefined;
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body;
      }
    } else if (typeof body === 'object' && body !== null) message = (body as { message?: string }).message;
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}
