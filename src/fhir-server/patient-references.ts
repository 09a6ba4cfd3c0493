import { Operator, type Filter, type SearchRequest, type WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
// Medplum's own FHIR types: the repository's signatures use them (types only, nothing at run time).
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { patientIdOf } from './patient-id.js';

/** The search parameters by which our clients ask for one patient's record. */
const PATIENT_PARAMETERS: ReadonlySet<string> = new Set(['patient', 'subject']);

function patientFilterId(filter: Filter): string | undefined {
  if (!PATIENT_PARAMETERS.has(filter.code) || filter.operator !== Operator.EQUALS || filter.value.includes(',')) return undefined;
  const value = filter.value;
  if (!value.includes('/')) return value;
  return patientIdOf(value);
}

function subjectReference(resource: Resource): string | undefined {
  const r = resource as { subject?: { reference?: string }; patient?: { reference?: string } };
  return r.subject?.reference ?? r.patient?.reference;
}

/**
 * Medplum's in-memory search compares reference strings, so `Condition?patient=x` misses a
 * Condition whose subject says `Patient/x/_history/2` or `https://ehr.example.org/fhir/Patient/x`.
 * A real EHR's server indexes its own versioned and absolute references to the patient, and the
 * scenario corpus writes them that way; this makes a search by one patient (`patient` or `subject`
 * equal to one id) match every form, still returning the reference as written. Searches with
 * `_include`/`_revinclude`, or anything else, are Medplum's own.
 */
export class PatientReferenceRepository extends MemoryRepository {
  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const filters = searchRequest.filters ?? [];
    const patientFilters = filters.filter((f) => patientFilterId(f) !== undefined);
    if (patientFilters.length !== 1 || searchRequest.include || searchRequest.revInclude) return super.search(searchRequest);
    const [patientFilter] = patientFilters as [Filter];
    const patientId = patientFilterId(patientFilter);
    const all = await super.search({ ...searchRequest, filters: filters.filter((f) => f !== patientFilter), offset: undefined, count: undefined });
    const matched = (all.entry ?? []).filter((e) => patientIdOf(subjectReference(e.resource as Resource)) === patientId);
    const offset = searchRequest.offset ?? 0;
    const page: BundleEntry<WithId<T>>[] = matched.slice(offset, searchRequest.count === undefined ? undefined : offset + searchRequest.count);
    return { resourceType: 'Bundle', type: 'searchset', ...(page.length ? { entry: page } : {}), total: matched.length };
  }
}
