import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';
import { isPipelineFailure, type PipelineFailure } from '../pipeline/errors.js';
import { HttpError, operationOutcome } from './operation-outcome.js';
import { requestIdOf } from './request-id.js';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** body-parser's own failures are the client's fault, so each becomes a 4xx with a plain reason. */
function fromBodyParser(err: BodyParserError): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, [{ code: 'structure', diagnostics: 'the body is not valid JSON' }]);
    case 'entity.too.large':
      return new HttpError(413, [{ code: 'too-long', diagnostics: 'the body is larger than this service accepts' }]);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError(415, [{ code: 'not-supported', diagnostics: 'unsupported charset or content encoding' }]);
    case 'request.aborted':
      return new HttpError(400, [{ code: 'incomplete', diagnostics: 'the request was aborted' }]);
    default:
      return typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? new HttpError(err.status, [{ code: 'invalid', diagnostics: 'the request could not be read' }])
        : undefined;
  }
}

/**
 * The one place a pipeline failure gets its HTTP meaning: data that cannot be had is 412 (the EHR may
 * retry with full prefetch), a request wrong in itself is 400.
 */
export function fromPipeline(err: PipelineFailure): HttpError {
  switch (err.name) {
    case 'PatientDataUnavailable':
      return new HttpError(412, [{ code: 'not-found', diagnostics: err.message }]);
    case 'InvalidRequest':
      return new HttpError(400, [{ code: 'invalid', diagnostics: err.message, ...(err.expression ? { expression: err.expression } : {}) }]);
  }
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new HttpError(404, [{ code: 'not-found', diagnostics: `nothing at ${req.method} ${req.path}` }]));
}

/** Every error answers with an OperationOutcome. A bug is a logged 500 with no stack in the body. */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const known = err instanceof HttpError ? err : isPipelineFailure(err) ? fromPipeline(err) : fromBodyParser(err ?? {});
    if (known) {
      res
        .status(known.status)
        .set(known.headers)
        .type('application/fhir+json')
        .send(JSON.stringify(operationOutcome(known.issues)));
      return;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error('unhandled error', { requestId: requestIdOf(res), error: e.name, message: e.message, stack: e.stack });
    res
      .status(500)
      .type('application/fhir+json')
      .send(
        JSON.stringify(
          operationOutcome([{ code: 'exception', diagnostics: `internal error; quote request id ${String(requestIdOf(res))}` }], 'fatal'),
        ),
      );
  };
}
