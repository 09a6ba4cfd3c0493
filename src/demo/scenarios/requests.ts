/**
 * Builds the hook request an EHR would send for a scenario: with every prefetch key filled from
 * the scenario's resources, with some, or with none (then the service fetches from fhirServer).
 */
import { randomUUID } from 'node:crypto';
import { fillTemplate } from '../../context/tokens.js';
import type { ServiceDefinition } from '../../hooks/services.js';
import type { Scenario } from './schema.js';
import { searchInMemory } from './search.js';

export const DEMO_USER = 'Practitioner/demo-clinician';

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
      ? {
          fhirAuthorization: {
            access_token: options.accessToken,
            token_type: 'Bearer',
            expires_in: 300,
            scope: 'patient/*.read',
            subject: 'backpain-cds',
          },
        }
      : {}),
    context,
    ...(keys.length ? { prefetch } : {}),
  };
}
