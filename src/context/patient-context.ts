/**
 * Patient context: what the EHR prefetched, plus whatever is missing fetched from fhirServer, all
 * keys in parallel under one deadline. The result does not depend on which path the data took.
 */
import type { Bundle, FhirResource, Patient } from 'fhir/r4.js';
import { ownership, patientFullUrls, type PatientFullUrls } from '../facts/references.js';
import type { PatientRecord } from '../facts/types.js';
import { InvalidRequest, PatientDataUnavailable } from '../pipeline/errors.js';
import { createFhirReader, expectedResourceType, FhirFetchError, type FetchPolicy, type FhirReader } from './fhir-fetch.js';
import { incompleteSearch } from './search-completeness.js';
import { fillTemplate } from './tokens.js';

export type ContextResult = { kind: 'record'; record: PatientRecord; fetchedKeys: string[] } | { kind: 'no-patient' };

type KeyValue = FhirResource | null;

/** What this stage reads of a validated hook request (src/hooks/request.ts), and no more. */
export interface ContextRequest {
  context: { patientId: string } & Record<string, unknown>;
  prefetch?: Record<string, FhirResource | null>;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string };
}

/** What this stage reads of a service (src/hooks/services.ts): its prefetch templates by key. */
export interface ContextService {
  prefetch: Record<string, string>;
}

function hasNextPage(value: FhirResource): value is Bundle {
  return value.resourceType === 'Bundle' && Array.isArray(value.link) && value.link.some((l) => l?.relation === 'next');
}

async function fetchKey(key: string, template: string, request: ContextRequest, reader: FhirReader | undefined): Promise<KeyValue> {
  const url = fillTemplate(template, request.context);
  if (url === undefined)
    throw new PatientDataUnavailable(`prefetch "${key}" is missing and its query needs a context value this request does not have`);
  if (!reader) {
    throw new PatientDataUnavailable(
      `prefetch "${key}" is missing, incomplete or an OperationOutcome, and the request has no fhirServer to fetch it from`,
    );
  }
  try {
    return await reader.get(url);
  } catch (err) {
    if (err instanceof FhirFetchError) throw new PatientDataUnavailable(`could not read "${key}" from fhirServer: ${err.message}`);
    throw err;
  }
}

async function completePages(key: string, bundle: Bundle, reader: FhirReader | undefined): Promise<Bundle> {
  if (!reader) throw new PatientDataUnavailable(`prefetch "${key}" has more pages and the request has no fhirServer to read them from`);
  try {
    return { ...bundle, entry: [...(bundle.entry ?? []), ...(await reader.remainingPages(bundle))] };
  } catch (err) {
    if (err instanceof FhirFetchError)
      throw new PatientDataUnavailable(`could not read the next pages of "${key}" from fhirServer: ${err.message}`);
    throw err;
  }
}

function resourcesOf(value: KeyValue): FhirResource[] {
  if (!value) return [];
  if (value.resourceType !== 'Bundle') return [value];
  return (Array.isArray(value.entry) ? value.entry : []).flatMap((e) =>
    e?.resource && typeof e.resource === 'object' ? [e.resource] : [],
  );
}

/** A record with the patient and nothing else: the shape every reader of a record can rely on. */
export function emptyRecord(patient: Patient): PatientRecord {
  return {
    patient,
    conditions: [],
    observations: [],
    medicationRequests: [],
    medicationStatements: [],
    procedures: [],
    diagnosticReports: [],
    imagingStudies: [],
    serviceRequests: [],
    questionnaireResponses: [],
    otherPatientResources: 0,
  };
}

/**
 * Groups the resources by type. A resource that names another patient (a server ignoring a search
 * parameter, an EHR's mixed bundle) never counts; it is counted instead, so the trace and log say so.
 */
export function groupRecord(patient: Patient, resources: FhirResource[], fullUrls: PatientFullUrls = new Map()): PatientRecord {
  const record = emptyRecord(patient);
  // The same resource twice (overlapping pages, or in two prefetch keys) is one entry: counted twice,
  // it would make "N entries checked by text only" say more than the record holds.
  const seen = new Set<string>();
  for (const r of resources) {
    if (r.resourceType === 'Patient') continue;
    if (typeof r.id === 'string') {
      const key = `${r.resourceType}/${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (ownership(r, patient.id ?? '', fullUrls) === 'other-patient') {
      record.otherPatientResources++;
      continue;
    }
    switch (r.resourceType) {
      case 'Condition':
        record.conditions.push(r);
        break;
      case 'Observation':
        record.observations.push(r);
        break;
      case 'MedicationRequest':
        record.medicationRequests.push(r);
        break;
      case 'MedicationStatement':
        record.medicationStatements.push(r);
        break;
      case 'Procedure':
        record.procedures.push(r);
        break;
      case 'DiagnosticReport':
        record.diagnosticReports.push(r);
        break;
      case 'ImagingStudy':
        record.imagingStudies.push(r);
        break;
      case 'ServiceRequest':
        record.serviceRequests.push(r);
        break;
      case 'QuestionnaireResponse':
        record.questionnaireResponses.push(r);
        break;
      default:
        break;
    }
  }
  return record;
}

/** Reads one request's patient context; built once, with the process-wide fetch policy, and given to the pipeline. */
export type ReadPatientContext = (service: ContextService, request: ContextRequest, deadline: () => AbortSignal) => Promise<ContextResult>;

/**
 * `policy` (the cap on FHIR reads in flight, their metrics, the allowlist for next links) is the
 * same for every request, so it is bound here once rather than passed along with each call.
 */
export function patientContextReader(policy: FetchPolicy = {}): ReadPatientContext {
  return (service, request, deadline) => resolvePatientContext(service, request, deadline, policy);
}

async function resolvePatientContext(
  service: ContextService,
  request: ContextRequest,
  deadline: () => AbortSignal,
  policy: FetchPolicy,
): Promise<ContextResult> {
  const prefetch = request.prefetch ?? {};
  // The reader (and its deadline timer) exists only when something must be fetched.
  let reader: FhirReader | undefined;
  const readerFor = (): FhirReader | undefined => {
    if (!reader && request.fhirServer)
      reader = createFhirReader(request.fhirServer, request.fhirAuthorization?.access_token, deadline(), policy);
    return reader;
  };
  const fetchedKeys: string[] = [];

  const values = await Promise.all(
    Object.entries(service.prefetch).map(async ([key, template]): Promise<KeyValue> => {
      const given = Object.hasOwn(prefetch, key) ? prefetch[key] : undefined;
      if (given === null) return null;
      // An OperationOutcome is the EHR saying its prefetch failed: fetch it ourselves (cds-hooks.md section 3).
      if (given !== undefined && given.resourceType !== 'OperationOutcome') {
        const expected = expectedResourceType(template);
        if (given.resourceType !== expected)
          throw new InvalidRequest(`prefetch "${key}" must be a ${expected}, null or an OperationOutcome`, `prefetch.${key}`);
        const value = hasNextPage(given) ? await completePages(key, given, readerFor()) : given;
        // A search the EHR could answer only in part is a failed prefetch too (./search-completeness.ts).
        if (!incompleteSearch(value)) return value;
      }
      fetchedKeys.push(key);
      const fetched = await fetchKey(key, template, request, readerFor());
      const gap = incompleteSearch(fetched);
      if (gap) throw new PatientDataUnavailable(`fhirServer answered "${key}" only in part: ${gap}`);
      return fetched;
    }),
  );

  const resources = values.flatMap(resourcesOf);
  const patients = resources.filter((r): r is Patient => r.resourceType === 'Patient');
  const patient = patients.find((p) => p.id === request.context.patientId);
  if (!patient) {
    if (patients.length) {
      // The EHR's own mistake in its prefetch is a bad request; a FHIR server answering for someone else is data that cannot be had.
      if (fetchedKeys.includes('patient')) throw new PatientDataUnavailable('fhirServer answered a Patient that is not context.patientId');
      throw new InvalidRequest('the prefetched Patient is not context.patientId', 'prefetch.patient');
    }
    return { kind: 'no-patient' };
  }
  return { kind: 'record', record: groupRecord(patient, resources, patientFullUrls(values)), fetchedKeys };
}
