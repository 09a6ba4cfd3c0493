import type { Bundle, ImagingStudy, Procedure, ServiceRequest } from 'fhir/r4.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { dayRange, isoDay } from './dates.js';
import { asArray, conceptText, referenceTo } from './resources.js';
import type { DraftOrder, ImagingEvidence } from './types.js';

/** The newest completed lumbar Procedure or lumbar ImagingStudy on or before today. */
export function priorLumbarImaging(
  procedures: Procedure[],
  studies: ImagingStudy[],
  today: number,
  lumbar: ValueSet,
): ImagingEvidence | undefined {
  const found: ImagingEvidence[] = [];
  const add = (reference: string, display: string, date: string | undefined): void => {
    const range = dayRange(date);
    if (!range || range.earliest > today) return;
    // The latest day a partial date can mean gives the most recent the imaging can have been.
    const day = Math.min(range.latest, today);
    found.push({ reference, display, date: isoDay(day), daysAgo: today - day });
  };
  for (const p of procedures) {
    if (p.status !== 'completed') continue;
    const code = lumbar.match(p.code);
    if (!code) continue;
    add(referenceTo(p), conceptText(p.code, code), p.performedDateTime ?? p.performedPeriod?.start);
  }
  for (const s of studies) {
    if (s.status === 'cancelled' || s.status === 'entered-in-error') continue;
    for (const concept of asArray(s.procedureCode)) {
      const code = lumbar.match(concept);
      if (!code) continue;
      add(referenceTo(s), conceptText(concept, code), s.started);
      break;
    }
  }
  return found.sort((a, b) => a.daysAgo - b.daysAgo)[0];
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
