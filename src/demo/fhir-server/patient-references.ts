import {
  getSearchParameter,
  isChainedSearchFilter,
  matchesSearchRequest,
  Operator,
  type Filter,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
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

/** The last path segment of a reference: the id Medplum's search compares a bare `patient=id` against. */
function referenceTail(reference: string): string {
  return reference.slice(reference.lastIndexOf('/') + 1);
}

/** Types whose `patient` and `subject` search parameters read `Type.subject` and nothing else (Medplum's R4 definitions). */
const subjectSearchedTypes = new Map<string, boolean>();

function searchedBySubject(resourceType: string): boolean {
  let known = subjectSearchedTypes.get(resourceType);
  if (known === undefined) {
    const parts = [...PATIENT_PARAMETERS].flatMap((code) =>
      (getSearchParameter(resourceType, code)?.expression ?? '')
        .split('|')
        .map((part) => part.trim())
        .filter((part) => part.startsWith(`${resourceType}.`)),
    );
    known =
      parts.length > 0 && parts.every((part) => part === `${resourceType}.subject` || part.startsWith(`${resourceType}.subject.where(`));
    subjectSearchedTypes.set(resourceType, known);
  }
  return known;
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
  /**
   * `Type|tail` → ids of that type whose `subject.reference` ends in `/tail`, and `Type|` → ids with no
   * reference string: every resource a one-patient search can match. Medplum scans all resources of
   * the type for each search (FHIRPath per resource), so with the scenario corpus a patient's
   * Condition search cost grew with every scenario added; a search by one patient now checks only
   * these candidates, with Medplum's own matcher, in Medplum's order (the answer is the same).
   */
  private readonly bySubject = new Map<string, Set<string>>();
  /** `Type/id` → its bySubject key, and its place in Medplum's store (creation order, kept across updates). */
  private readonly subjectFiled = new Map<string, { key: string; order: number }>();
  private nextOrder = 0;
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
    this.fileBySubject(saved);
    this.unfileElsewhere(saved.resourceType, saved.id);
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

  override clear(): void {
    super.clear();
    this.bySubject.clear();
    this.subjectFiled.clear();
    this.elsewhere.clear();
    this.filed.clear();
  }

  private fileBySubject(saved: WithId<Resource>): void {
    if (!searchedBySubject(saved.resourceType)) return;
    const reference = (saved as { subject?: { reference?: unknown } }).subject?.reference;
    const key = `${saved.resourceType}|${typeof reference === 'string' ? referenceTail(reference) : ''}`;
    const at = `${saved.resourceType}/${saved.id}`;
    const filed = this.subjectFiled.get(at);
    if (filed?.key === key) return;
    if (filed) this.bySubject.get(filed.key)?.delete(saved.id);
    // An update keeps its place in Medplum's store, so it keeps its order here too.
    this.subjectFiled.set(at, { key, order: filed?.order ?? this.nextOrder++ });
    const ids = this.bySubject.get(key) ?? new Set<string>();
    ids.add(saved.id);
    this.bySubject.set(key, ids);
  }

  private unfile(resourceType: string, id: string): void {
    const filedBySubject = this.subjectFiled.get(`${resourceType}/${id}`);
    if (filedBySubject) {
      this.bySubject.get(filedBySubject.key)?.delete(id);
      this.subjectFiled.delete(`${resourceType}/${id}`);
    }
    this.unfileElsewhere(resourceType, id);
  }

  private unfileElsewhere(resourceType: string, id: string): void {
    const key = this.filed.get(`${resourceType}/${id}`);
    if (key === undefined) return;
    this.elsewhere.get(key)?.delete(id);
    this.filed.delete(`${resourceType}/${id}`);
  }

  /**
   * Medplum's search, over this patient's candidates when the request names one patient by
   * `patient` or `subject` (no sort, include or chain: those stay Medplum's own): the same matcher,
   * clones, order, paging and total as Medplum's full scan, from a few resources instead of all.
   */
  private async scan<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const { resourceType } = searchRequest;
    const filters = searchRequest.filters ?? [];
    const byPatient = filters.filter((f) => PATIENT_PARAMETERS.has(f.code));
    const [filter] = byPatient;
    if (
      !filter ||
      byPatient.length !== 1 ||
      filter.operator !== Operator.EQUALS ||
      /[,\\]/.test(filter.value) ||
      searchRequest.include ||
      searchRequest.revInclude ||
      searchRequest.sortRules?.length ||
      filters.some(isChainedSearchFilter) ||
      !searchedBySubject(resourceType)
    )
      return super.search(searchRequest);
    const ids = [
      ...(this.bySubject.get(`${resourceType}|${referenceTail(filter.value)}`) ?? []),
      ...(this.bySubject.get(`${resourceType}|`) ?? []),
    ];
    const order = (id: string): number => this.subjectFiled.get(`${resourceType}/${id}`)?.order ?? 0;
    ids.sort((a, b) => order(a) - order(b));
    const matched: BundleEntry<WithId<T>>[] = [];
    for (const id of ids) {
      const resource = await this.readResource<WithId<T>>(resourceType, id);
      if (matchesSearchRequest(resource, searchRequest)) matched.push({ search: { mode: 'match' }, resource });
    }
    const offset = searchRequest.offset ?? 0;
    const page = matched.slice(offset, searchRequest.count === undefined ? undefined : offset + searchRequest.count);
    return { resourceType: 'Bundle', type: 'searchset', ...(page.length ? { entry: page } : {}), total: matched.length };
  }

  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const filters = searchRequest.filters ?? [];
    const patientFilters = filters.filter((f) => patientFilterId(f) !== undefined);
    if (patientFilters.length !== 1 || searchRequest.include || searchRequest.revInclude) return this.scan(searchRequest);
    const [patientFilter] = patientFilters as [Filter];
    const ids = this.elsewhere.get(`${searchRequest.resourceType}|${patientFilterId(patientFilter)}`);
    if (!ids?.size) return this.scan(searchRequest);
    const whole = { ...searchRequest, offset: undefined, count: undefined };
    const idFilter: Filter = { code: '_id', operator: Operator.EQUALS, value: [...ids].join(',') };
    const [plain, written] = await Promise.all([
      this.scan(whole),
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
