/**
 * The request id on res.locals (express types res.locals as any): set by the request log
 * (createApp), read by the handlers and the error handler to tie a log line to a response.
 * Absent on the admin listener, which has no request log.
 */
import type { Response } from 'express';

interface RequestIdLocals {
  requestId?: string;
}

export function setRequestId(res: Response, requestId: string): void {
  (res.locals as RequestIdLocals).requestId = requestId;
}

export function requestIdOf(res: Response): string | undefined {
  return (res.locals as RequestIdLocals).requestId;
}
