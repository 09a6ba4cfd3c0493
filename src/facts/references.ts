/**
 * Whose record a resource is. Servers write the same patient reference many ways: relative
 * (`Patient/1`), versioned (`Patient/1/_history/2`), absolute (`https://ehr/fhir/Patient/1`,
 * also versioned) or a `urn:uuid:` that is the Patient's fullUrl in the same Bundle. Each of those
 * is this patient; only a reference that resolves to another Patient takes a resource out.
 */
import type { FhirResource } from 'fhir/r4.js';

/**
 * `[base/]Patient/{id}[/_history/{version}]`, the id captured. A trailing slash or a query string
 * (written by servers that build references from URLs) still names the same Patient.
 */
const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?\/?(?:\?[^#]*)?$/;

/** fullUrl → the Patient id it stands for, from every Bundle the record came in. */
export type PatientFullUrls = ReadonlyMap<string, string>;

export function patientFullUrls(bundles: readonly (FhirResource | null)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of bundles) {
    if (!b || b.resourceType !== 'Bundle') continue;
    for (const e of Array.isArray(b.entry) ? (b.entry ?? []) : []) {
      const r = e?.resource;
      if (typeof e?.fullUrl === 'string' && r?.resourceType === 'Patient' && typeof r.id === 'string') out.set(e.fullUrl, r.id);
    }
  }
  return out;
}

/**
 * The Patient id a reference string names; `undefined` when it does not name a Patient we can
 * identify (another resource type, a `urn:uuid:` not in the Bundle, not a string).
 */
export function referencedPatientId(reference: unknown, fullUrls: PatientFullUrls = new Map()): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const viaBundle = fullUrls.get(reference);
  if (viaBundle !== undefined) return viaBundle;
  return PATIENT_REFERENCE.exec(reference)?.[1];
}

export type Ownership = 'patient' | 'other-patient' | 'no-patient-reference';

/**
 * Whether a resource belongs to the patient. A resource whose subject is not a Patient (a Group, a
 * Device) or cannot be resolved is kept: it came from a search by this patient, and dropping it
 * could hide a red flag.
 */
export function ownership(resource: FhirResource, patientId: string, fullUrls: PatientFullUrls = new Map()): Ownership {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const reference = r.subject?.reference ?? r.patient?.reference;
  if (typeof reference !== 'string') return 'no-patient-reference';
  const id = referencedPatientId(reference, fullUrls);
  if (id === undefined) return 'no-patient-reference';
  return id === patientId ? 'patient' : 'other-patient';
}
