// A 5-field cron evaluator with the semantics of the CronJob controller (robfig/cron's standard
// parser): parse an expression, and find the next time it fires in an IANA time zone.

/** Error with a stable code; the message names the field and says what is allowed. */
export class CronError extends Error {
  readonly code = 'InvalidCron';
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const fieldSpecs: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // robfig/cron accepts 0-6 only (no 7 for Sunday), so neither do we.
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

interface ParsedField {
  readonly values: ReadonlySet<number>;
  /** The field was `*` or `?` without a step > 1; decides how day-of-month and day-of-week combine. */
  readonly star: boolean;
}

export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

function parseNumber(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^[0-9]+$/.test(text)) throw new CronError(`${spec.name} field: "${text}" is not a number`);
  return Number(text);
}

function parseField(text: string, spec: FieldSpec): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new CronError(`${spec.name} field: "${part}" is not a value, range or step`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(`${spec.name} field: step "${stepText}" must be a positive number`);
      }
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    let partStar = false;
    if (rangeText === '*' || rangeText === '?') {
      start = spec.min;
      end = spec.max;
      partStar = step === 1;
    } else {
      const bounds = rangeText.split('-');
      if (bounds.length > 2) throw new CronError(`${spec.name} field: "${rangeText}" is not a range`);
      start = parseNumber(bounds[0] as string, spec);
      // robfig/cron: "a/n" means from a to the maximum in steps of n.
      end = bounds.length === 2 ? parseNumber(bounds[1] as string, spec) : stepText !== undefined ? spec.max : start;
    }
    if (start < spec.min || end > spec.max) {
      throw new CronError(`${spec.name} field: "${part}" is outside ${spec.min}-${spec.max}`);
    }
    if (start > end) throw new CronError(`${spec.name} field: "${part}" has its start after its end`);
    for (let v = start; v <= end; v += step) values.add(v);
    star ||= partStar;
  }
  return { values, star };
}

/** Parses a 5-field cron expression; throws CronError with a message a person can act on. */
export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new CronError(`"${expression}" has ${fields.length} fields; a schedule needs 5: minute hour day-of-month month day-of-week`);
  }
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(f, fieldSpecs[i] as FieldSpec)) as [
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
  ];
  return {
    minutes: minute.values,
    hours: hour.values,
    daysOfMonth: dom.values,
    months: month.values,
    daysOfWeek: dow.values,
    domStar: dom.star,
    dowStar: dow.star,
  };
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number;
}

const weekdayIndex: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function wallTime(epochMs: number, timeZone: string): WallTime {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    const d = new Date(epochMs);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      weekday: d.getUTCDay(),
    };
  }
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone, which nextRunTime reports as a CronError.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, string> = {};
  for (const p of formatter.formatToParts(epochMs)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: weekdayIndex[parts.weekday as string] ?? 0,
  };
}

function dayMatches(s: CronSchedule, t: WallTime): boolean {
  const dom = s.daysOfMonth.has(t.day);
  const dow = s.daysOfWeek.has(t.weekday);
  // robfig/cron (and classic cron): when either day field is a star both must match, else either may.
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

const msPerMinute = 60_000;
/** Jumps over whole days or months stop this far short, so a DST change can never make them overshoot. */
const dstSafetyMinutes = 180;
/** robfig/cron gives up after five years; a schedule that never fires (Feb 30) has no next time. */
const searchHorizonMs = 5 * 366 * 24 * 3600 * 1000;

/**
 * The first time strictly after `now` at which `schedule` fires, read in `timeZone` (default UTC).
 * Undefined when it never fires within five years. Times that a DST change skips never fire.
 */
export function nextRunTime(schedule: CronSchedule | string, now: Date, timeZone = 'UTC'): Date | undefined {
  const s = typeof schedule === 'string' ? parseCron(schedule) : schedule;
  try {
    wallTime(now.getTime(), timeZone);
  } catch {
    throw new CronError(`time zone "${timeZone}" is not an IANA time zone name`);
  }
  let t = Math.floor(now.getTime() / msPerMinute) * msPerMinute + msPerMinute;
  const horizon = now.getTime() + searchHorizonMs;
  while (t <= horizon) {
    const w = wallTime(t, timeZone);
    const toNextHour = 60 - w.minute;
    const toNextDay = (23 - w.hour) * 60 + toNextHour;
    if (!s.months.has(w.month)) {
      const daysInMonth = new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
      t += Math.max(toNextHour, (daysInMonth - w.day) * 1440 + toNextDay - dstSafetyMinutes) * msPerMinute;
    } else if (!dayMatches(s, w)) {
      t += Math.max(toNextHour, toNextDay - dstSafetyMinutes) * msPerMinute;
    } else if (!s.hours.has(w.hour)) {
      t += toNextHour * msPerMinute;
    } else if (!s.minutes.has(w.minute)) {
      let next = w.minute + 1;
      while (next < 60 && !s.minutes.has(next)) next++;
      t += (next - w.minute) * msPerMinute;
    } else {
      return new Date(t);
    }
  }
  return undefined;
}
