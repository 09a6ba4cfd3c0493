import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry } from 'fhir/r4.js';

const URN_UUID = 'urn:uuid:';

/**
 * Rewrites a transaction or collection bundle (e.g. Synthea's: urn:uuid fullUrls, POST requests)
 * as a batch of `PUT Type/id` entries, with every in-bundle `urn:uuid:` reference replaced by
 * `Type/id`. PUT keeps the bundle's ids stable, which tests rely on; a batch also avoids
 * Medplum's 50-update limit on transactions. Entries without a resource pass through unchanged.
 * Throws if a `reference` points to a urn:uuid that is not in the bundle, because it could never
 * resolve on the server.
 */
export function toBatchBundle(bundle: Bundle): Bundle {
  const entries = bundle.entry ?? [];
  const references = new Map<string, string>();
  const ids = entries.map((entry) => {
    if (!entry.resource) {
      return undefined;
    }
    const id = entry.resource.id ?? uuidOf(entry.fullUrl) ?? randomUUID();
    if (entry.fullUrl?.startsWith(URN_UUID)) {
      references.set(entry.fullUrl, `${entry.resource.resourceType}/${id}`);
    }
    return id;
  });

  const unresolved = new Set<string>();
  const rewrite = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      const target = references.get(value);
      if (target === undefined && key === 'reference' && value.startsWith(URN_UUID)) {
        unresolved.add(value);
      }
      return target ?? value;
    }
    if (Array.isArray(value)) {
      return value.map((item) => rewrite(item, key));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k)]));
    }
    return value;
  };

  const batchEntries = entries.map((entry, index): BundleEntry => {
    const id = ids[index];
    if (!entry.resource || id === undefined) {
      return entry;
    }
    const resource = { ...(rewrite(entry.resource, undefined) as typeof entry.resource), id };
    const url = `${resource.resourceType}/${id}`;
    return { fullUrl: url, resource, request: { method: 'PUT', url } };
  });
  if (unresolved.size > 0) {
    throw new Error(`Bundle has ${unresolved.size} urn:uuid reference(s) to entries it does not contain, e.g. ${[...unresolved][0]}`);
  }
  return { resourceType: 'Bundle', type: 'batch', entry: batchEntries };
}

function uuidOf(fullUrl: string | undefined): string | undefined {
  return fullUrl?.startsWith(URN_UUID) ? fullUrl.slice(URN_UUID.length) : undefined;
}
