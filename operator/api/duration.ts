// Flux-style (Go) duration strings such as "2h", "90m", "1h30m", and which intervals a fixed
// 5-field cron can express. Pure; shared by the zod schema, the CEL rules' twin and the reconciler.

/** Go duration syntax restricted to the units that make sense for schedules. */
export const durationPattern = '^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$';
const durationRegex = new RegExp(durationPattern);
const unitSeconds: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/**
 * Parses a Go duration string into seconds; undefined when it is not one.
 * Summed in whole milliseconds, truncated like Go's Duration.Milliseconds() that the CEL twin of
 * every duration rule reads, so "1.1h" is exactly 3960 and "60500ms" is 60.5 in both worlds.
 */
export function parseDurationSeconds(text: string): number | undefined {
  if (!durationRegex.test(text)) return undefined;
  let totalMs = 0;
  for (const match of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/g)) {
    const unitMs = (unitSeconds[match[2] as string] as number) * 1000;
    // Round away binary floating-point noise at the microsecond, then truncate to the millisecond.
    totalMs += Math.floor(Math.round(Number(match[1]) * unitMs * 1000) / 1000);
  }
  return totalMs / 1000;
}

/** Minute intervals that divide an hour and hour intervals that divide a day: the ones cron repeats evenly. */
export const cronMinuteSteps = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30] as const;
export const cronHourSteps = [1, 2, 3, 4, 6, 8, 12, 24] as const;

export const expressibleIntervalsText =
  `${cronMinuteSteps.map((m) => `${m}m`).join(', ')}, ${cronHourSteps.map((h) => `${h}h`).join(', ')}`;

/** True when a fixed cron expression fires exactly every `seconds` seconds. */
export function isCronExpressible(seconds: number): boolean {
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds % 60 !== 0) return false;
  if (seconds < 3600) return 3600 % seconds === 0;
  return seconds % 3600 === 0 && 86400 % seconds === 0;
}

/** Renders seconds as the shortest Go duration string ("2h", "90m" → "1h30m"). */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('');
  return parts || '0s';
}
