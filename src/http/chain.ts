/**
 * Several middlewares run as one: express walks, matches and wraps every layer it holds on every
 * request, so the guards of a path are cheaper as a single layer. Order and error handling are
 * express's own: an error (thrown, passed to next, or a rejected promise) skips the rest.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function chain(...handlers: RequestHandler[]): RequestHandler {
  if (handlers.length === 1 && handlers[0]) return handlers[0];
  return (req: Request, res: Response, next: NextFunction): void => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null && err !== false) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch((e: unknown) => step(e ?? new Error('a middleware rejected without a reason')));
      } catch (e) {
        step(e);
      }
    };
    step();
  };
}
