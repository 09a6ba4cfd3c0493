import type { Bundle, ServiceRequest } from 'fhir/r4.js';
import type { FindingDefinition } from '../knowledge/schemas.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { dayRange, isoDay } from './dates.js';
import { findingCandidates, type ValueSetLookup } from './findings.js';
import { asArray, conceptText, referenceTo } from './resources.js';
import type { DraftOrder, ImagingEvidence, PatientRecord } from './types.js';

/** The newest dated lumbar imaging on or before today, from every source rules/findings.json names. */
export function priorLumbarImaging(def: FindingDefinition, record: PatientRecord, today: number, lookup: ValueSetLookup): ImagingEvidence | undefined {
  const found: ImagingEvidence[] = [];
  for (const c of findingCandidates(def, record, lookup)) {
    const range = dayRange(c.date);
    if (!range || range.earliest > today) continue;
    // The latest day a partial date can mean gives the most recent the imaging can have been.
    const day = Math.min(range.latest, today);
    found.push({ reference: c.reference, display: c.display, date: isoDay(day), daysAgo: today - day });
  }
  return found.sort((a, b) => a.daysAgo - b.daysAgo || a.reference.localeCompare(b.reference))[0];
}

const WITHDRAWN = new Set(['revoked', 'entered-in-error', 'completed']);

/**
 * The lumbar imaging ServiceRequests a service should look at: the selected ones for order-select
 * (selections is undefined for order-sign, which looks at every draft order).
 */
export function lumbarImagingOrders(draftOrders: Bundle, selections: string[] | undefined, lumbar: ValueSet): DraftOrder[] {
  const selected = selections ? new Set(selections) : undefined;
  const orders: DraftOrder[] = [];
  for (const [index, entry] of asArray(draftOrders.entry).entries()) {
    const resource = entry?.resource;
    if (!resource || resource.resourceType !== 'ServiceRequest') continue;
    const order = resource as ServiceRequest;
    // A draft order without an id is still evaluated, under a name that is no reference, so no
    // suggestion can delete it (src/cards/render.ts) and two of them stay two orders.
    const reference = order.id === undefined ? `draft order ${index + 1} without an id` : referenceTo(order);
    if (selected && !selected.has(reference)) continue;
    if (typeof order.status === 'string' && WITHDRAWN.has(order.status)) continue;
    const code = lumbar.match(order.code);
    if (!code) continue;
    orders.push({ reference, display: conceptText(order.code, code), ...(order.authoredOn ? { authoredOn: order.authoredOn } : {}) });
  }
  return orders;
}
