/**
 * An open-loop client at a steady rate: one request every 1000/rate ms on keep-alive sockets,
 * whatever the answers do. Latency counts from the time a request was scheduled, not from when
 * it left, so a stall shows as the queue it builds (no coordinated omission). autocannon's
 * overallRate sends each second's quota in a burst, which measures bursts, not a steady rate.
 */
import { Agent, request } from 'node:http';

export interface PacedResult {
  rate: number;
  sent: number;
  completed: number;
  /** 2xx answers, the unmeasured warm-up included (what the service did in all). */
  okTotal: number;
  /** Completed per second of the measured window. */
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

export interface PacedOptions {
  url: string;
  body: string;
  rate: number;
  seconds: number;
  /** Paced but not measured first, so sockets are open and code is warm. */
  warmupSeconds?: number;
  /** Wait this long for the last answers after the window closes. */
  drainMs?: number;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export async function paced(options: PacedOptions): Promise<PacedResult> {
  const { url, body, rate, seconds } = options;
  const warmup = (options.warmupSeconds ?? 1) * 1000;
  const interval = 1000 / rate;
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const payload = Buffer.from(body);
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let non2xx = 0;
  let outstanding = 0;
  let okTotal = 0;
  const start = performance.now();
  const measureFrom = start + warmup;
  const end = measureFrom + seconds * 1000;

  const fire = (scheduled: number): void => {
    const measured = scheduled >= measureFrom;
    if (measured) sent++;
    outstanding++;
    const done = (ok: boolean, status?: number): void => {
      outstanding--;
      if (ok && status !== undefined && status >= 200 && status < 300) okTotal++;
      if (!measured) return;
      if (!ok) errors++;
      else if (status === undefined || status < 200 || status >= 300) non2xx++;
      else latencies.push(performance.now() - scheduled);
    };
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => done(true, res.statusCode));
        res.on('error', () => done(false));
      },
    );
    req.on('error', () => done(false));
    req.end(payload);
  };

  await new Promise<void>((resolve) => {
    let next = start;
    const tick = (): void => {
      const now = performance.now();
      // Catch up on every slot that is due, so a late timer does not lower the rate.
      while (next <= now && next < end) {
        fire(next);
        next += interval;
      }
      if (next >= end) return resolve();
      setTimeout(tick, Math.max(0, next - performance.now() - 0.5));
    };
    tick();
  });
  const drainUntil = performance.now() + (options.drainMs ?? 5000);
  while (outstanding > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    rate,
    sent,
    completed: latencies.length,
    okTotal,
    reqPerSec: Math.round(latencies.length / seconds),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    errors,
    // Answered but not 2xx, and never answered within the drain time.
    non2xx: non2xx + (sent - latencies.length - errors - non2xx),
  };
}
