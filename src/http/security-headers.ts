/**
 * Helmet's headers, worked out once at start-up and then set with one call per request. Helmet
 * stays the source of truth for which headers and values; its chain of a dozen middlewares per
 * request was the costliest part of the hot path after the hook itself (docs/operations.md).
 */
import type { NextFunction, Request, Response } from 'express';

type Middleware = (req: Request, res: Response, next: (err?: unknown) => void) => void;

/** The headers a header-only middleware (like helmet's) sets, found by running it once against a recorder. */
export function headersOf(middleware: Middleware): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader: (name: string) => headers.get(name),
  };
  let called = false;
  middleware({ method: 'GET', headers: {} } as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
    called = true;
  });
  // A middleware that answers or waits cannot be flattened into static headers.
  if (!called) throw new Error('a security-header middleware did not call next() synchronously');
  return [...headers];
}

export function setHeaders(res: Response, headers: readonly [string, string][]): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

export function staticHeaders(headers: readonly [string, string][]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    setHeaders(res, headers);
    next();
  };
}
