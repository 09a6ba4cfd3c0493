/**
 * JSON-line logs. What goes in: request and rule ids, statuses, timings. What never goes in:
 * patient data, tokens, request bodies, FHIR URLs (they carry patient ids).
 */
import type { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level: string, stream?: Writable): Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: stream ?? process.stdout })],
  });
}
