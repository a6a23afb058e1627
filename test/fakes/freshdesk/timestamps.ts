// Freshdesk's timestamp format: UTC `YYYY-MM-DDTHH:MM:SSZ`, one-second granularity.
// The store keeps epoch seconds; these functions convert at the edges.

/** Epoch seconds (whole) of a Date, truncated like Freshdesk's one-second timestamps. */
export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** `2024-05-01T10:00:00Z` from epoch seconds. */
export function formatFreshdeskTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const sinceFormat = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses an `updated_since` value (a date, or a date-time in UTC or with an offset) into epoch seconds,
 * truncating sub-seconds (records carry whole seconds). undefined when the value is not a date-time.
 */
export function parseSince(value: string): number | undefined {
  if (!sinceFormat.test(value)) return undefined;
  let text = value;
  if (!text.includes('T')) text += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** Accepts a Date, an ISO string or epoch seconds, for the data API's timestamps. */
export function toEpochSecondsFrom(value: Date | string | number): number {
  if (typeof value === 'number') return Math.floor(value);
  if (value instanceof Date) return toEpochSeconds(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${value}`);
  return Math.floor(ms / 1000);
}
