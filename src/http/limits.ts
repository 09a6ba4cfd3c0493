/**
 * Protection against too much work: per-client rate limits (429) and load shedding (503 with
 * Retry-After) when too many requests are in flight or the event loop lags. Shedding early keeps
 * the answers that are given fast, instead of every answer arriving after the EHR gave up.
 */
import { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import { metrics } from '../metrics.js';
import type { AuthLocals } from './auth/middleware.js';
import { HttpError, operationOutcome } from './operation-outcome.js';

const MINUTE_MS = 60_000;

const tooMany = (retryAfterSeconds: number): HttpError =>
  new HttpError(429, [{ code: 'throttled', diagnostics: 'too many requests; slow down' }], { 'Retry-After': String(retryAfterSeconds) });

function retryAfter(req: Request): number {
  const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
}

/** The client: the JWT issuer when the caller is authenticated (one EHR, many addresses), else the address. */
function clientKey(req: Request, res: Response): string {
  const caller = (res.locals as AuthLocals).caller;
  return caller ? `iss:${caller.iss}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

/** Requests per minute per client; 0 turns it off. */
export function clientRateLimit(perMinute: number): RateLimitRequestHandler | undefined {
  if (perMinute <= 0) return undefined;
  return rateLimit({
    windowMs: MINUTE_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: clientKey,
    handler: (req, _res, next) => {
      metrics.rejected.inc({ reason: 'rate-limit' });
      next(tooMany(retryAfter(req)));
    },
    // Our keyGenerator is deliberate; express-rate-limit's start-up checks would only warn on stderr.
    validate: false,
  });
}

/**
 * Failed authentications per minute per address; 0 turns it off. It wraps the JWT check and only
 * changes how a failure is answered: past the limit a refused token gets 429 instead of 401, while a
 * valid token from the same address always passes. Behind a proxy or NAT many EHRs share an address,
 * so refusing the address itself would let one attacker lock every EHR out (issue 13, item 8).
 * Only failures count, and only once they have happened, so a busy trusted EHR is never slowed.
 */
export function limitAuthFailures(auth: RequestHandler, perMinute: number): RequestHandler {
  if (perMinute <= 0) return auth;
  // Fixed one-minute windows per address; a window is forgotten when it is over.
  const failures = new Map<string, { count: number; resetAt: number }>();
  setInterval(() => {
    const now = Date.now();
    for (const [key, w] of failures) if (w.resetAt <= now) failures.delete(key);
  }, MINUTE_MS).unref();
  return (req, res, next) =>
    auth(req, res, (err?: unknown) => {
      if (!(err instanceof HttpError) || err.status !== 401) return next(err);
      const key = ipKeyGenerator(req.ip ?? 'unknown');
      const now = Date.now();
      let w = failures.get(key);
      if (!w || w.resetAt <= now) failures.set(key, (w = { count: 0, resetAt: now + MINUTE_MS }));
      if (++w.count <= perMinute) return next(err);
      metrics.rejected.inc({ reason: 'auth-rate-limit' });
      next(tooMany(Math.max(1, Math.ceil((w.resetAt - now) / 1000))));
    });
}

/**
 * How late the event loop runs, measured over windows: the p99 of `perf_hooks.monitorEventLoopDelay`
 * in each of the last few windows. Tests inject their own, so shedding is driven deterministically
 * and no test has to block the loop.
 */
export interface LagSampler {
  /** The lowest per-window p99 delay (ms) over the last full set of windows: above a threshold only when every window was. */
  sustainedLagMs: () => number;
  stop: () => void;
}

/** The lowest of the last `count` window p99s, or 0 until there are that many: lag that lasts, not one stall. */
export function sustainedLag(windows: readonly number[], count: number): number {
  return windows.length < count ? 0 : Math.min(...windows.slice(-count));
}

export function eventLoopLagSampler(windowMs = 1000, count = 3): LagSampler {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const windows: number[] = [];
  let sustained = 0;
  const timer = setInterval(() => {
    windows.push(histogram.percentile(99) / 1e6);
    if (windows.length > count) windows.shift();
    histogram.reset();
    sustained = sustainedLag(windows, count);
  }, windowMs).unref();
  return {
    sustainedLagMs: () => sustained,
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

export interface OverloadOptions {
  /** Requests answered at once; 0 = no limit. */
  maxInFlight: number;
  /** Event-loop delay (p99 in every window of the sampler) past which new requests may be shed; 0 = never. */
  maxEventLoopLagMs: number;
  /**
   * Lag sheds only with at least this many requests in flight: with few in flight, shedding would
   * not relieve the loop (a stall from elsewhere, e.g. a garbage collection or a demo server), and
   * an EHR shows a refused call as "no advice". Default: 1/16 of maxInFlight, at least 4.
   */
  minInFlightForLag?: number;
  /** Default: eventLoopLagSampler() when maxEventLoopLagMs > 0. */
  sampler?: LagSampler;
}

export interface OverloadGuard {
  /** Before the body is read: sheds during shutdown and sustained event-loop overload, without counting. */
  admit: (req: Request, res: Response, next: NextFunction) => void;
  /**
   * Once the body is complete: the in-flight limit and count. A caller still sending its body holds
   * a socket, not a slot, so slow bodies cannot starve the callers whose requests are whole.
   */
  count: (req: Request, res: Response, next: NextFunction) => void;
  /** Whether a complete request would be taken now (readiness). */
  hasRoom: () => boolean;
  /** Starts refusing everything (graceful shutdown). */
  drain: () => void;
  readonly inFlight: number;
  readonly eventLoopLagMs: number;
  stop: () => void;
}

export function overloadGuard(options: OverloadOptions): OverloadGuard {
  let inFlight = 0;
  let draining = false;
  const sampler = options.maxEventLoopLagMs > 0 ? (options.sampler ?? eventLoopLagSampler()) : undefined;
  const minInFlight = options.minInFlightForLag ?? Math.max(4, Math.ceil(options.maxInFlight / 16));

  const shed = (reason: string, next: NextFunction): void => {
    metrics.rejected.inc({ reason });
    next(new HttpError(503, [{ code: 'transient', diagnostics: 'the service is busy; retry shortly' }], { 'Retry-After': '1' }));
  };

  return {
    admit(_req, _res, next) {
      if (draining) return shed('shutting-down', next);
      // Sustained overload only: lag in every window, and enough requests in flight for shedding to help.
      if (sampler && inFlight >= minInFlight && sampler.sustainedLagMs() > options.maxEventLoopLagMs) return shed('event-loop-lag', next);
      next();
    },
    count(_req, res, next) {
      if (draining) return shed('shutting-down', next);
      if (options.maxInFlight > 0 && inFlight >= options.maxInFlight) return shed('in-flight', next);
      inFlight++;
      metrics.inFlight.inc();
      // 'close' comes for every response, sent or cut off by the client.
      res.once('close', () => {
        inFlight--;
        metrics.inFlight.dec();
      });
      next();
    },
    hasRoom: () => !draining && (options.maxInFlight <= 0 || inFlight < options.maxInFlight),
    drain() {
      draining = true;
    },
    get inFlight() {
      return inFlight;
    },
    get eventLoopLagMs() {
      return sampler?.sustainedLagMs() ?? 0;
    },
    stop() {
      sampler?.stop();
    },
  };
}

/**
 * A deadline for the request body, counted from when the request reaches this middleware (its
 * headers are in): past it the caller gets 408 and the connection is closed, so a client that
 * trickles its body holds a socket for seconds, not Node's 5 minutes. 0 turns it off. One timer per
 * request, cleared when the response ends; a body that is already complete costs nothing more.
 */
export function bodyDeadline(ms: number): RequestHandler | undefined {
  if (ms <= 0) return undefined;
  return (req, res, next) => {
    if (req.complete) return next();
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      metrics.rejected.inc({ reason: 'body-timeout' });
      const body = JSON.stringify(operationOutcome([{ code: 'timeout', diagnostics: `the request body did not arrive within ${ms} ms` }]));
      res.writeHead(408, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      // The rest of the body is never read: the connection goes once the answer is out.
      res.end(body, () => req.socket.destroy());
    }, ms);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

/**
 * Open connections per client address (the socket's, not a forwarded one); 0 turns it off. A
 * connection is counted from its first request until it closes; one past the cap is answered 429
 * and closed. Costs one WeakSet lookup per request on a connection already counted.
 */
export function connectionCap(perAddress: number): ((req: Request, res: Response) => HttpError | undefined) | undefined {
  if (perAddress <= 0) return undefined;
  const open = new Map<string, number>();
  const counted = new WeakSet<object>();
  return (req, res) => {
    const socket = req.socket;
    // Only real connections count: an in-process injected request (light-my-request) has none, and its stand-in never closes.
    if (counted.has(socket) || !(socket instanceof Socket)) return undefined;
    counted.add(socket);
    const address = socket.remoteAddress ?? 'unknown';
    const n = (open.get(address) ?? 0) + 1;
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    if (n <= perAddress) return undefined;
    metrics.rejected.inc({ reason: 'connections-per-address' });
    res.setHeader('Connection', 'close');
    return new HttpError(429, [{ code: 'throttled', diagnostics: 'too many open connections from this address' }], { 'Retry-After': '1' });
  };
}
