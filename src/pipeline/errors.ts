/**
 * Why the pipeline could not answer a hook request, said in the request's own terms. The stages
 * throw these; only src/http/errors.ts turns them into a status and an OperationOutcome, so the
 * CLI and the preview page report the same failure in their own way.
 */
abstract class PipelineError extends Error {
  abstract override readonly name: PipelineFailure['name'];
}

/**
 * The patient data the rules need cannot be had: a prefetch key is missing and cannot be fetched,
 * the FHIR server failed, or it answered for another patient. Deciding without it could hide a
 * red flag, so the answer is an error, never an empty card list (src/http answers 412).
 */
export class PatientDataUnavailable extends PipelineError {
  override readonly name = 'PatientDataUnavailable';
}

/**
 * The request is wrong in a way its schema cannot see: a prefetch of the wrong resource type, or a
 * prefetched Patient that is not context.patientId (src/http answers 400). `expression` is the field at fault.
 */
export class InvalidRequest extends PipelineError {
  override readonly name = 'InvalidRequest';
  constructor(
    message: string,
    readonly expression?: string,
  ) {
    super(message);
  }
}

/** Every failure the pipeline reports; a switch over `name` covers them all. */
export type PipelineFailure = PatientDataUnavailable | InvalidRequest;

export function isPipelineFailure(err: unknown): err is PipelineFailure {
  return err instanceof PipelineError;
}
