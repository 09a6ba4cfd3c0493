/** The draft orders of an order-select or order-sign request that are lumbar spine imaging. */
import type { Bundle } from 'fhir/r4.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { asArray, conceptText, referenceTo } from './resources.js';

export interface DraftOrder {
  reference: string;
  display: string;
  authoredOn?: string;
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
    const order = resource;
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
