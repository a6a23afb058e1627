// Rules on single string fields that a structural schema cannot say, each written twice side by side:
// as CEL for the API server (x-kubernetes-validations) and as a TypeScript twin for zod, same verdict.
import { maxLookbackSeconds } from '../../sync-job/contract.js';
import { durationPattern, expressibleIntervalsText, isCronExpressible, parseDurationSeconds } from './duration.js';

/** One rule: the CEL text the API server runs, its TypeScript twin, and the message both report. */
export interface TwinRule {
  readonly rule: string;
  readonly message: string;
  readonly check: (value: string) => boolean;
}

// CEL has no let-binding in the API server's environment, so fragments are spliced as text.
/** A CEL single-quoted string literal holding `text` (regex backslashes doubled). */
export const celQuote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
export const celIsDuration = (expr: string) => `${expr}.matches(${celQuote(durationPattern)})`;
/** Whole milliseconds, like Duration.Milliseconds() in Go; parseDurationSeconds() truncates the same way. */
export const celDurationMs = (expr: string) => `duration(${expr}).getMilliseconds()`;

const msPerMinute = 60_000;
const msPerHour = 3_600_000;
const msPerDay = 86_400_000;
// Same arithmetic as isCronExpressible(), in milliseconds.
const celCronExpressible = (ms: string) =>
  `(${ms} > 0 && ${ms} % ${msPerMinute} == 0 && ((${ms} < ${msPerHour} && ${msPerHour} % ${ms} == 0) || ` +
  `(${ms} % ${msPerHour} == 0 && ${msPerDay} % ${ms} == 0)))`;

export const intervalRule: TwinRule = {
  rule: `${celIsDuration('self')} && ${celCronExpressible(celDurationMs('self'))}`,
  message:
    `must be a duration that a fixed cron schedule repeats evenly (it divides an hour or a day): ` +
    `one of ${expressibleIntervalsText}; for anything else use schedule`,
  check: (v) => {
    const seconds = parseDurationSeconds(v);
    return seconds !== undefined && isCronExpressible(seconds);
  },
};

export const streamIntervalRule: TwinRule = {
  rule: `${celIsDuration('self')} && ${celDurationMs('self')} >= 1000`,
  message: 'must be a duration of at least 1s such as 6h or 24h',
  check: (v) => (parseDurationSeconds(v) ?? 0) >= 1,
};

export const timeoutRule: TwinRule = {
  rule: `${celIsDuration('self')} && ${celDurationMs('self')} >= ${msPerMinute}`,
  message: 'must be a duration of at least 1m such as 30m or 2h',
  check: (v) => (parseDurationSeconds(v) ?? 0) >= 60,
};

/** The job contract's bounds on a lookback: 0s to 7 days (maxLookbackSeconds). */
export const lookbackRule: TwinRule = {
  rule: `${celIsDuration('self')} && ${celDurationMs('self')} <= ${maxLookbackSeconds * 1000}`,
  message: `must be a duration from 0s to ${maxLookbackSeconds / 3600}h such as 5m or 1h`,
  check: (v) => {
    const seconds = parseDurationSeconds(v);
    return seconds !== undefined && seconds <= maxLookbackSeconds;
  },
};

/** A regular expression both worlds run (RE2 in the API server, JavaScript in zod), with a message for people. */
export function patternRule(pattern: string, message: string): TwinRule {
  const regex = new RegExp(pattern);
  return { rule: `self.matches(${celQuote(pattern)})`, message, check: (v) => regex.test(v) };
}

// ---- time zones -------------------------------------------------------------------------------
// Names the way the CronJob controller loads them (Go's time.LoadLocation, case-sensitive files);
// the pattern keeps out numeric offsets ("+01:00", which CEL would accept but a CronJob does not).
const timeZonePattern = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$';
const timeZoneRegex = new RegExp(timeZonePattern);

/** True when `tz` is an IANA zone name that both Intl and Go's time package know. */
export function isKnownTimeZone(tz: string): boolean {
  if (!timeZoneRegex.test(tz) || tz === 'Local') return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  // Intl matches names case-insensitively, Go does not: "europe/berlin" resolves to "Europe/Berlin".
  return resolved === tz || resolved.toLowerCase() !== tz.toLowerCase();
}

export const timeZoneRule: TwinRule = {
  // A timestamp accessor with an unknown zone fails evaluation, which the API server reports against the field.
  rule: `self.matches(${celQuote(timeZonePattern)}) && self != 'Local' && timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0`,
  message: 'must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC',
  check: isKnownTimeZone,
};

// ---- URLs -------------------------------------------------------------------------------------
// One regex over the URL text rather than CEL's url(self).getHostname(): the API server cannot bound
// the size of a derived string, and the rule's estimated cost then exceeds its budget. RE2 and
// JavaScript read this pattern the same way; schemes and hosts are expected in lower case, as written.
const loopbackHostPattern = 'localhost|\\[::1\\]|127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}';
const serviceHostPattern = '([^/?#@:\\s]+\\.)?svc|[^/?#@:\\s]+\\.svc\\.cluster\\.local';
const allowedUrlPattern =
  `^(https://[^/?#\\s]+|http://(${loopbackHostPattern}|${serviceHostPattern})(:[0-9]{1,5})?)([/?#]\\S*)?$`;
const allowedUrlRegex = new RegExp(allowedUrlPattern);

/** https to any host; http only to loopback or in-cluster service hosts (*.svc, *.svc.cluster.local). */
export function isAllowedUrl(text: string): boolean {
  return URL.canParse(text) && allowedUrlRegex.test(text);
}

export const urlRule: TwinRule = {
  rule: `isURL(self) && self.matches(${celQuote(allowedUrlPattern)})`,
  message:
    'must be an https:// URL; plain http:// is allowed only to loopback (localhost, 127.0.0.0/8, [::1]) ' +
    'or in-cluster service hosts (*.svc, *.svc.cluster.local)',
  check: isAllowedUrl,
};

const userInfoPattern = '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@';
const userInfoRegex = new RegExp(userInfoPattern);
export const urlWithoutCredentialsRule: TwinRule = {
  rule: `!self.matches(${celQuote(userInfoPattern)})`,
  message: 'must not carry credentials (user:password@host); keep them in a Secret and reference it',
  check: (v) => !userInfoRegex.test(v),
};
