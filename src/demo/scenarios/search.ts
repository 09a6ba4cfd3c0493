/** Scenario prefetch without a FHIR server: the CLI and the tests run scenarios in process, every key filled. */
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { referencedPatientId } from '../../facts/references.js';
import type { Scenario } from './schema.js';

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
        if (
          tokenIn(
            (rec.category ?? []).flatMap((c) => c.coding ?? []),
            value.split(','),
          )
        )
          return false;
      } else if (!name.startsWith('_')) {
        throw new Error(`searchInMemory does not support the search parameter "${name}"`);
      }
    }
    return true;
  });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    entry: matches.map((r) => ({ resource: r as FhirResource })),
  };
  return bundle;
}
