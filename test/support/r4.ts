/** R4 validation with Medplum's validator (StructureDefinitions and invariants), for resources the service publishes or suggests. */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import { ensureFhirDefinitions } from '../../src/demo/fhir-server/definitions.js';

/** The validator's errors as "path: message" lines; [] when the resource is valid R4. */
export function r4Errors(resource: unknown): string[] {
  ensureFhirDefinitions();
  try {
    const issues = validateResource(resource as Parameters<typeof validateResource>[0]);
    return issues
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue ?? []).map((i) =>
        `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? ''} ${i.diagnostics ?? ''}`.trim(),
      );
    }
    throw err;
  }
}
