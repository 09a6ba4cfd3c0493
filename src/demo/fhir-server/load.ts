import { isOk } from '@medplum/core';
import type { FhirRepository, FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import { toBatchBundle } from './batch.js';

/** Where loadBundles sends batches: a server base URL over HTTP, or a router and repository in process. */
export type LoadTarget = string | URL | { router: FhirRouter; repo: FhirRepository };

export interface LoadOptions {
  /** Most entries per batch request; Synthea bundles hold up to ~3,000. Default 500. */
  chunkSize?: number;
}

export interface LoadSummary {
  bundles: number;
  entries: number;
}

export interface LoadFailure {
  /** `Type/id` of the entry; ids only, so no patient data ends up in logs. */
  url: string;
  status: string;
  issueCodes: string[];
}

export class BundleLoadError extends Error {
  constructor(
    message: string,
    readonly failures: LoadFailure[] = [],
  ) {
    super(message);
    this.name = 'BundleLoadError';
  }
}

/**
 * Loads bundles as batches of at most `chunkSize` PUT entries (see toBatchBundle), one request at
 * a time. Throws BundleLoadError if a request or any entry fails; the message names entries by
 * `Type/id` and issue codes only.
 */
export async function loadBundles(
  target: LoadTarget,
  bundles: Iterable<Bundle> | AsyncIterable<Bundle>,
  options: LoadOptions = {},
): Promise<LoadSummary> {
  const chunkSize = options.chunkSize ?? 500;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const post = typeof target === 'string' || target instanceof URL ? httpPoster(target) : inProcessPoster(target);
  const summary: LoadSummary = { bundles: 0, entries: 0 };
  for await (const bundle of bundles) {
    const entries = toBatchBundle(bundle).entry ?? [];
    for (let start = 0; start < entries.length; start += chunkSize) {
      const chunk = entries.slice(start, start + chunkSize);
      const response = await post({ resourceType: 'Bundle', type: 'batch', entry: chunk });
      checkBatchResponse(chunk, response);
    }
    summary.bundles += 1;
    summary.entries += entries.length;
  }
  return summary;
}

type BatchPoster = (batch: Bundle) => Promise<unknown>;

function httpPoster(base: string | URL): BatchPoster {
  const url = String(base).replace(/\/+$/, '');
  return async (batch) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(batch),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      throw new BundleLoadError(`Batch request failed: HTTP ${response.status} (${issueCodes(body).join(', ') || 'no outcome'})`);
    }
    return body;
  };
}

function inProcessPoster({ router, repo }: { router: FhirRouter; repo: FhirRepository }): BatchPoster {
  return async (batch) => {
    const [outcome, body] = await router.handleRequest(
      { method: 'POST', url: '', pathname: '', params: {}, query: {}, body: batch, config: { transactions: true } },
      repo,
    );
    if (!isOk(outcome)) {
      throw new BundleLoadError(`Batch request failed: ${issueCodes(outcome).join(', ') || 'unknown error'}`);
    }
    return body;
  };
}

function checkBatchResponse(request: BundleEntry[], response: unknown): void {
  const responseEntries = bundleEntries(response);
  if (responseEntries.length !== request.length) {
    throw new BundleLoadError(`Batch response has ${responseEntries.length} entries for ${request.length} requests`);
  }
  const failures: LoadFailure[] = [];
  responseEntries.forEach((entry, index) => {
    const status = entry.response?.status ?? '';
    if (!/^2\d\d\b/.test(status)) {
      failures.push({ url: request[index]?.request?.url ?? `entry ${index}`, status, issueCodes: issueCodes(entry.response?.outcome) });
    }
  });
  if (failures.length > 0) {
    const shown = failures
      .slice(0, 5)
      .map((f) => `${f.url} → ${f.status || 'no status'}${f.issueCodes.length ? ` (${f.issueCodes.join(', ')})` : ''}`);
    const more = failures.length > shown.length ? `, and ${failures.length - shown.length} more` : '';
    throw new BundleLoadError(
      `${failures.length} batch entr${failures.length === 1 ? 'y' : 'ies'} failed: ${shown.join('; ')}${more}`,
      failures,
    );
  }
}

function bundleEntries(value: unknown): BundleEntry[] {
  if (typeof value === 'object' && value !== null && 'resourceType' in value && value.resourceType === 'Bundle') {
    return (value as Bundle).entry ?? [];
  }
  return [];
}

function issueCodes(outcome: unknown): string[] {
  if (typeof outcome !== 'object' || outcome === null || !('issue' in outcome) || !Array.isArray(outcome.issue)) {
    return [];
  }
  return outcome.issue.flatMap((issue: unknown) =>
    typeof issue === 'object' && issue !== null && 'code' in issue && typeof issue.code === 'string' ? [issue.code] : [],
  );
}
