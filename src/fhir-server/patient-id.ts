/**
 * `Patient/{id}`, `Patient/{id}/_history/{v}`, `{any base}/Patient/{id}[/_history/{v}]`: the forms
 * in which real servers write a patient reference. A `urn:uuid:` never reaches the demo server
 * (loading rewrites it to `Type/id`). No Medplum import here: the CLI builds scenario prefetch
 * with it, and Medplum's core needs a global WebSocket that Node 20 lacks without a flag.
 */
const PATIENT_REFERENCE = /^(?:[a-z][a-z0-9+.-]*:\/\/[^?#]*\/)?Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function patientIdOf(reference: string | undefined): string | undefined {
  return reference === undefined ? undefined : PATIENT_REFERENCE.exec(reference)?.[1];
}
