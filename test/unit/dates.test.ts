import { ageInYears, dayOf, dayRange, isoDay } from '../../src/facts/dates.js';

/** Day number (days since 1970-01-01 UTC) of a calendar date. */
const day = (iso: string): number => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86_400_000;

describe('dayRange', () => {
  test('a full date is one precise day (2026-11-23 is day 20780)', () => {
    expect(dayRange('2026-11-23')).toEqual({ earliest: 20780, latest: 20780, precise: true });
  });

  test('a year alone spans 1 January to 31 December and is not precise', () => {
    const range = dayRange('2026');
    expect(range).toEqual({ earliest: day('2026-01-01'), latest: day('2026-12-31'), precise: false });
    expect(range && isoDay(range.latest)).toBe('2026-12-31');
  });

  test('a year-month spans the whole month and is not precise', () => {
    expect(dayRange('2026-11')).toEqual({ earliest: day('2026-11-01'), latest: day('2026-11-30'), precise: false });
  });

  test('year-month February ends on the 28th in 2026 and on the 29th in leap year 2024', () => {
    expect(dayRange('2026-02')?.latest).toBe(day('2026-02-28'));
    expect(dayRange('2024-02')?.latest).toBe(day('2024-02-29'));
  });

  test('a dateTime in UTC is the UTC day', () => {
    expect(dayRange('2026-11-23T10:00:00Z')).toEqual({ earliest: day('2026-11-23'), latest: day('2026-11-23'), precise: true });
  });

  test('a dateTime with fractional seconds is accepted', () => {
    expect(dayRange('2026-11-23T10:00:00.123Z')?.earliest).toBe(day('2026-11-23'));
  });

  test('a late-evening -05:00 dateTime (2026-10-12T22:00-05:00) falls on the next UTC day, 2026-10-13', () => {
    const range = dayRange('2026-10-12T22:00:00-05:00');
    expect(range && isoDay(range.earliest)).toBe('2026-10-13');
    expect(range).toEqual({ earliest: day('2026-10-13'), latest: day('2026-10-13'), precise: true });
  });

  test('an early-morning +02:00 dateTime (2026-10-13T01:00+02:00) falls on the previous UTC day, 2026-10-12', () => {
    expect(dayRange('2026-10-13T01:00:00+02:00')?.earliest).toBe(day('2026-10-12'));
  });

  test('an evening -05:00 dateTime that is still the same UTC day stays on it (18:59-05:00 is 23:59Z)', () => {
    expect(dayRange('2026-10-12T18:59:00-05:00')?.earliest).toBe(day('2026-10-12'));
  });

  test.each(['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00'])(
    'impossible date %s is undefined',
    (value) => {
      expect(dayRange(value)).toBeUndefined();
    },
  );

  test('29 February is valid in a leap year (2024-02-29)', () => {
    expect(dayRange('2024-02-29')?.earliest).toBe(day('2024-02-29'));
  });

  test.each(['2026-13', '2026-00'])('impossible month %s is undefined', (value) => {
    expect(dayRange(value)).toBeUndefined();
  });

  test.each(['', '26-11-23', '2026-1-5', '2026/11/23', '23-11-2026', 'yesterday', '2026-11-23T25:00:00Z', '2026-11-23 10:00:00Z'])(
    'malformed string %j is undefined',
    (value) => {
      expect(dayRange(value)).toBeUndefined();
    },
  );

  // V8's Date.parse rolls 2026-02-30 over to 2 March; an impossible date must not become a real red-flag or episode date.
  test('an impossible date with a time (2026-02-30T10:00:00Z) is undefined, like the date alone', () => {
    expect(dayRange('2026-02-30T10:00:00Z')).toBeUndefined();
  });

  test.each([undefined, null, 20261123, true, new Date('2026-11-23T00:00:00Z'), { year: 2026 }, ['2026-11-23']])(
    'non-string %p is undefined',
    (value) => {
      expect(dayRange(value)).toBeUndefined();
    },
  );
});

describe('dayOf and isoDay', () => {
  test('dayOf counts UTC days: 00:00:00Z and 23:59:59Z are the same day', () => {
    expect(dayOf(new Date('2026-11-23T00:00:00Z'))).toBe(20780);
    expect(dayOf(new Date('2026-11-23T23:59:59.999Z'))).toBe(20780);
    expect(dayOf(new Date('2026-11-24T00:00:00Z'))).toBe(20781);
  });

  test('isoDay is the inverse of the day number', () => {
    expect(isoDay(20780)).toBe('2026-11-23');
    expect(isoDay(0)).toBe('1970-01-01');
  });
});

describe('ageInYears', () => {
  const BORN = '2008-11-23';

  test('the day before the 18th birthday is 17', () => {
    expect(ageInYears(BORN, day('2026-11-22'))).toBe(17);
  });

  test('on the 18th birthday is 18', () => {
    expect(ageInYears(BORN, day('2026-11-23'))).toBe(18);
  });

  test('the day after the 18th birthday is 18', () => {
    expect(ageInYears(BORN, day('2026-11-24'))).toBe(18);
  });

  test('a month before the birthday in a later month is still 17 (born 2008-12-01, on 2026-11-30)', () => {
    expect(ageInYears('2008-12-01', day('2026-11-30'))).toBe(17);
  });

  test('partial birthDate 2008-11 counts from 30 November: 17 on 2026-11-29, 18 on 2026-11-30', () => {
    expect(ageInYears('2008-11', day('2026-11-29'))).toBe(17);
    expect(ageInYears('2008-11', day('2026-11-30'))).toBe(18);
  });

  test('partial birthDate 2008 counts from 31 December: 17 on 2026-12-30, 18 on 2026-12-31', () => {
    expect(ageInYears('2008', day('2026-11-23'))).toBe(17);
    expect(ageInYears('2008', day('2026-12-30'))).toBe(17);
    expect(ageInYears('2008', day('2026-12-31'))).toBe(18);
  });

  test('born on 29 February: 17 on 2026-02-28, 18 on 2026-03-01', () => {
    expect(ageInYears('2008-02-29', day('2026-02-28'))).toBe(17);
    expect(ageInYears('2008-02-29', day('2026-03-01'))).toBe(18);
  });

  test('a birthDate with a time uses its UTC day', () => {
    expect(ageInYears('2008-11-23T12:00:00Z', day('2026-11-23'))).toBe(18);
  });

  test('an adult born 1980-04-12 is 46 on 2026-11-23', () => {
    expect(ageInYears('1980-04-12', day('2026-11-23'))).toBe(46);
  });

  test.each(['', 'unknown', '2008-02-30', '2008-13'])('unusable birthDate %j gives undefined', (birthDate) => {
    expect(ageInYears(birthDate, day('2026-11-23'))).toBeUndefined();
  });
});
