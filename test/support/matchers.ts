/**
 * Matches a valid Date from any realm: PGlite's rows come back from its worker thread as Node's
 * own Dates, which are not instances of the Date class inside the test sandbox (expect.any fails).
 */
export const aDate = {
  asymmetricMatch: (value: unknown): boolean =>
    Object.prototype.toString.call(value) === '[object Date]' && !Number.isNaN((value as Date).getTime()),
  toAsymmetricMatcher: (): string => 'aDate',
};
