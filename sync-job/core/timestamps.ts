// One-second UTC timestamps (`YYYY-MM-DDTHH:MM:SSZ`), the granularity of Freshdesk and of cursors.
// Fixed-width strings of this form compare correctly as strings, which the cursor relies on.

/** `2024-05-01T10:00:00Z` from any parseable date-time (offsets allowed); sub-seconds are truncated. */
export function toSecondIso(value: string | number | Date): string {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${String(value)}`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Like toSecondIso, but undefined for a missing or unparseable value. */
export function tryToSecondIso(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isNaN(ms) ? undefined : toSecondIso(ms);
}

export function secondIsoToMs(value: string): number {
  return Date.parse(value);
}
