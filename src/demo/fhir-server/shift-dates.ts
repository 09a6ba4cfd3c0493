const FHIR_DATE = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Keys whose values are identifiers, never dates, even if they happen to look like one. */
const NOT_DATE_KEYS: ReadonlySet<string> = new Set(['id', 'reference', 'code', 'system', 'url', 'version', 'versionId']);

/**
 * Deep copy of `resource` with every full FHIR date, dateTime and instant moved by `days`
 * calendar days. Synthea data ends in 2021; shifting keeps "last 6 weeks" style rules meaningful.
 * Precision is kept: a date stays a date, a dateTime keeps its time of day and its UTC offset
 * (so the instant moves by exactly `days` × 24 h). Year and year-month values are left alone
 * because moving them by days could not keep their precision.
 */
export function shiftDates<T>(resource: T, days: number): T {
  if (!Number.isInteger(days)) {
    throw new RangeError(`shiftDates needs a whole number of days, got ${days}`);
  }
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      return key !== undefined && NOT_DATE_KEYS.has(key) ? value : shiftDateString(value, days);
    }
    if (Array.isArray(value)) {
      return value.map((item) => walk(item, key));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(resource, undefined) as T;
}

function shiftDateString(value: string, days: number): string {
  const match = FHIR_DATE.exec(value);
  if (!match) {
    return value;
  }
  const [, y, m, d, time = ''] = match;
  const year = Number(y);
  const month = Number(m) - 1;
  const day = Number(d);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) {
    return value; // not a real calendar date (e.g. 2019-02-30): not ours to reinterpret
  }
  date.setUTCDate(date.getUTCDate() + days);
  const shifted = `${String(date.getUTCFullYear()).padStart(4, '0')}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
  return shifted + time;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
