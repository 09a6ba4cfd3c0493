/**
 * FHIR dates come as year, year-month, date or dateTime with offset. Windows in the rules are
 * counted in whole calendar days of the deployment's clinical time zone (CLINICAL_TIMEZONE), so
 * every comparison goes through a day number: days since 1970-01-01 of that zone's calendar.
 * Day numbers are plain arithmetic on UTC milliseconds, so the process's own time zone (TZ) never
 * enters them. Not date-fns here: every resource's dates pass through this module on each call,
 * and date-fns on UTCDate made it a sixth of the pipeline's CPU (docs/operations.md, section 5).
 */

/** A UTC day: JavaScript time has no leap seconds, so every UTC calendar day is exactly this long. */
const MS_PER_DAY = 86_400_000;

/** The day number of the UTC calendar day an instant falls on. */
function utcDay(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** The UTC midnight that starts a day number. */
function dayStart(day: number): Date {
  return new Date(day * MS_PER_DAY);
}

/**
 * The clinical time zone is one setting for the whole process, set once at start-up: threading it
 * through every date reader would change dozens of signatures for a value that never varies per call.
 */
let zoneFormat: Intl.DateTimeFormat | undefined;
let zoneName = 'UTC';

/** Throws a RangeError naming the zone when it is not an IANA time zone the runtime knows. */
export function setClinicalTimeZone(zone: string): void {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric', hourCycle: 'h23' });
  zoneName = format.resolvedOptions().timeZone;
  zoneFormat = zoneName === 'UTC' || zoneName === 'Etc/UTC' ? undefined : format;
}

export function clinicalTimeZone(): string {
  return zoneName;
}

/** The calendar day, in the clinical time zone, of an instant. */
function zonedDay(ms: number): number {
  if (!zoneFormat) return utcDay(ms);
  let year = 0;
  let month = 0;
  let day = 0;
  for (const part of zoneFormat.formatToParts(ms)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  return utcDay(Date.UTC(year, month - 1, day));
}

export interface DayRange {
  /** First and last calendar day (days since 1970-01-01) the value can stand for. */
  earliest: number;
  latest: number;
  precise: boolean;
}

const PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function dayRange(value: unknown): DayRange | undefined {
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, time] = m;
  const year = Number(y);
  if (d !== undefined) {
    const ms = Date.UTC(year, Number(mo) - 1, Number(d));
    const check = new Date(ms);
    // Date.UTC rolls 2026-02-30 over into March; FHIR says such a date is invalid.
    if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return undefined;
    let day = utcDay(ms);
    // With an offset the instant decides the day in the clinical zone; without one (not valid FHIR),
    // and for a date alone, the written date is the day.
    if (time !== undefined && /(Z|[+-]\d{2}:\d{2})$/.test(time)) {
      const instant = Date.parse(value);
      if (Number.isNaN(instant)) return undefined;
      day = zonedDay(instant);
    }
    return { earliest: day, latest: day, precise: true };
  }
  if (mo !== undefined) {
    const month = Number(mo) - 1;
    if (month < 0 || month > 11) return undefined;
    return { earliest: utcDay(Date.UTC(year, month, 1)), latest: utcDay(Date.UTC(year, month + 1, 0)), precise: false };
  }
  return { earliest: utcDay(Date.UTC(year, 0, 1)), latest: utcDay(Date.UTC(year, 11, 31)), precise: false };
}

/** Today, in the clinical time zone, at the request time. */
export function dayOf(date: Date): number {
  return zonedDay(date.getTime());
}

export function isoDay(day: number): string {
  return dayStart(day).toISOString().slice(0, 10);
}

/** Whole years between a birth date and a day, the way people count birthdays. */
export function ageInYears(birthDate: string, onDay: number): number | undefined {
  const range = dayRange(birthDate);
  if (!range) return undefined;
  // A partial birth date counts from its last possible day, so nobody is taken for older than they can be.
  const born = dayStart(range.latest);
  const now = dayStart(onDay);
  let age = now.getUTCFullYear() - born.getUTCFullYear();
  const beforeBirthday =
    now.getUTCMonth() < born.getUTCMonth() || (now.getUTCMonth() === born.getUTCMonth() && now.getUTCDate() < born.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age;
}
