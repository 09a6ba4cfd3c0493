/**
 * Builds the hook request an EHR would send for a scenario: with every prefetch key filled from
 * the scenario's resources, with some, or with none (then the service fetches from fhirServer).
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { fillTemplate } from '../../context/tokens.js';
import { referencedPatientId } from '../../facts/references.js';
import type { ServiceDefinition } from '../../hooks/services.js';
import type { Scenario } from './schema.js';

export const DEMO_USER = 'Practitioner/demo-clinician';

type Resource = Scenario['resources'][number];

export interface InMemorySearchOptions {
  /**
   * Also return resources that name another patient, as a faulty EHR prefetch might: a scenario
   * that carries such a stray resource checks that the service drops it.
   */
  withStrays?: boolean;
}

/**
 * The tiny part of FHIR search our prefetch templates use: read, and search by patient, code and
 * category:not. A search by patient returns the patient's resources however the reference is
 * written (relative, versioned, absolute), as the EHR's own server would.
 */
export function searchInMemory(resources: Resource[], query: string, options: InMemorySearchOptions = {}): FhirResource | null {
  const [path = '', search = ''] = query.split('?');
  const [type, id] = path.split('/');
  if (id !== undefined) return (resources.find((r) => r.resourceType === type && r.id === id) as FhirResource | undefined) ?? null;
  const params = new URLSearchParams(search);
  const matches = resources.filter((r) => {
    if (r.resourceType !== type) return false;
    for (const [name, value] of params) {
      const rec = r as {
        subject?: { reference?: string };
        patient?: { reference?: string };
        code?: { coding?: { system?: string; code?: string }[] };
        category?: { coding?: { system?: string; code?: string }[] }[];
      };
      const tokenIn = (codings: { system?: string; code?: string }[], wanted: string[]): boolean =>
        codings.some((c) => wanted.some((w) => (w.includes('|') ? w === `${c.system}|${c.code}` : w === c.code)));
      if (name === 'patient' || name === 'subject') {
        // Versioned and absolute references name the patient too, as a server's search by patient finds them.
        const named = referencedPatientId(rec.subject?.reference ?? rec.patient?.reference);
        if (named === undefined || (named !== value.replace(/^Patient\//, '') && !options.withStrays)) return false;
      } else if (name === 'code') {
        if (!tokenIn(rec.code?.coding ?? [], value.split(','))) return false;
      } else if (name === 'category:not') {
        if (tokenIn((rec.category ?? []).flatMap((c) => c.coding ?? []), value.split(','))) return false;
      } else if (!name.startsWith('_')) {
        throw new Error(`searchInMemory does not support the search parameter "${name}"`);
      }
    }
    return true;
  });
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry: matches.map((r) => ({ resource: r as FhirResource })) };
  return bundle;
}

export interface RequestOptions {
  /** Which prefetch keys to fill: all, none, or a named subset. */
  prefetch: 'all' | 'none' | string[];
  fhirServer?: string;
  accessToken?: string;
  hookInstance?: string;
}

export function scenarioRequest(scenario: Scenario, service: ServiceDefinition, options: RequestOptions): Record<string, unknown> {
  const all = [scenario.patient, ...scenario.resources];
  const context: Record<string, unknown> = { userId: DEMO_USER, patientId: scenario.patient.id };
  if (service.hook === 'order-select' || service.hook === 'order-sign') {
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: scenario.draftOrders.map((r) => ({ resource: r })) };
  }
  if (service.hook === 'order-select') {
    context.selections = scenario.selections ?? scenario.draftOrders.map((r) => `${r.resourceType}/${r.id}`);
  }
  const keys = options.prefetch === 'all' ? Object.keys(service.prefetch) : options.prefetch === 'none' ? [] : options.prefetch;
  const prefetch: Record<string, unknown> = {};
  for (const key of keys) {
    const template = service.prefetch[key];
    if (!template) throw new Error(`service ${service.id} has no prefetch key ${key}`);
    const query = fillTemplate(template, context);
    if (query === undefined) throw new Error(`prefetch ${key} needs a context value the scenario lacks`);
    prefetch[key] = searchInMemory(all, decodeURIComponent(query), { withStrays: true });
  }
  return {
    hook: service.hook,
    hookInstance: options.hookInstance ?? randomUUID(),
    ...(options.fhirServer ? { fhirServer: options.fhirServer } : {}),
    ...(options.fhirServer && options.accessToken
      ? { fhirAuthorization: { access_token: options.accessToken, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'backpain-cds' } }
      : {}),
    context,
    ...(keys.length ? { prefetch } : {}),
  };
}
