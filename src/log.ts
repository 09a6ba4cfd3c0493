/**
 * JSON-line logs. What goes in: request and rule ids, statuses, timings. What never goes in:
 * patient data, tokens, request bodies, FHIR URLs (they carry patient ids).
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import TransportStream from 'winston-transport';

export type Logger = winston.Logger;

/** Where winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/**
 * One finished line per entry, written at once. Winston's Console transport also routes levels to
 * stderr and schedules a 'logged' event per line, neither of which is used here; at one line per
 * hook call that doubled what logging cost the hot path (docs/operations.md, section 5).
 */
class JsonLines extends TransportStream {
  constructor(private readonly out: Writable) {
    super();
  }

  override log(info: Record<symbol, unknown>, done: () => void): void {
    this.out.write(`${String(info[MESSAGE])}\n`);
    done();
  }
}

export function createLogger(level: string, stream?: Writable): Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new JsonLines(stream ?? process.stdout)],
  });
}
