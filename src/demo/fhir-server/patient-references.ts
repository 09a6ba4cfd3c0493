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
 * scenario corpus writes them that way. This repository keeps a small index of the resources whose
 * patient reference is not the plain `Patient/{id}`, and a search by one patient (`patient` or
 * `subject` equal to one id) also returns those, each with its reference as written. Every other
 * search, and every patient whose references are all plain, is Medplum's own (no extra cost).
 */
export class PatientReferenceRepository extends MemoryRepository {
  /** `Type|patientId` → ids of that patient's resources of that type written with a non-plain reference. */
  private readonly elsewhere = new Map<string, Set<string>>();
  /** `Type/id` → the index key it is filed under, to refile it on update and drop it on delete. */
  private readonly filed = new Map<string, string>();

  override async createResource<T extends Resource>(
    resource: T,
    options?: Parameters<MemoryRepository['createResource']>[1],
    update?: boolean,
  ): Promise<WithId<T>> {
    const saved = await super.createResource(resource, options, update);
    this.unfile(saved.resourceType, saved.id);
    const reference = subjectReference(saved);
    const patientId = patientIdOf(reference);
    if (patientId !== undefined && reference !== `Patient/${patientId}`) {
      const key = `${saved.resourceType}|${patientId}`;
      const ids = this.elsewhere.get(key) ?? new Set<string>();
      ids.add(saved.id);
      this.elsewhere.set(key, ids);
      this.filed.set(`${saved.resourceType}/${saved.id}`, key);
    }
    return saved;
  }

  override async deleteResource(
    resourceType: string,
    id: string,
    options?: Parameters<MemoryRepository['deleteResource']>[2],
  ): Promise<void> {
    await super.deleteResource(resourceType, id, options);
    this.unfile(resourceType, id);
  }

  override async expungeResources(resourceType: string, ids: string[]): Promise<void> {
    await super.expungeResources(resourceType, ids);
    for (const id of ids) this.unfile(resourceType, id);
  }

  private unfile(resourceType: string, id: string): void {
    const key = this.filed.get(`${resourceType}/${id}`);
    if (key === undefined) return;
    this.elsewhere.get(key)?.delete(id);
    this.filed.delete(`${resourceType}/${id}`);
  }

  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const filters = searchRequest.filters ?? [];
    const patientFilters = filters.filter((f) => patientFilterId(f) !== undefined);
    if (patientFilters.length !== 1 || searchRequest.include || searchRequest.revInclude) return super.search(searchRequest);
    const [patientFilter] = patientFilters as [Filter];
    const ids = this.elsewhere.get(`${searchRequest.resourceType}|${patientFilterId(patientFilter)}`);
    if (!ids?.size) return super.search(searchRequest);
    const whole = { ...searchRequest, offset: undefined, count: undefined };
    const idFilter: Filter = { code: '_id', operator: Operator.EQUALS, value: [...ids].join(',') };
    const [plain, written] = await Promise.all([
      super.search(whole),
      super.search({ ...whole, filters: [...filters.filter((f) => f !== patientFilter), idFilter] }),
    ]);
    const matched = [...(plain.entry ?? []), ...(written.entry ?? [])];
    const offset = searchRequest.offset ?? 0;
    const page: BundleEntry<WithId<T>>[] = matched.slice(
      offset,
      searchRequest.count === undefined ? undefined : offset + searchRequest.count,
    );
    return { resourceType: 'Bundle', type: 'searchset', ...(page.length ? { entry: page } : {}), total: matched.length };
  }
}
