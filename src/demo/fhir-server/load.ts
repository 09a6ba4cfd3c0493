import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { isOk } from '@medplum/core';
import type { FhirRepository, FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import { readTarFiles } from './tar.js';

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

const FHIR_DATE = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Keys whose values are identifiers, never dates, even if they happen to look like one. */
const NOT_DATE_KEYS: ReadonlySet<string> = new Set(['id', 'reference', 'code', 'system', 'url', 'version', 'versionId']);

/**
 * Deep copy of `resource` with every full FHIR date, dateTime and instant moved by `days`
 * calendar days. Synthea data ends in 2021; shifting keeps "last 6 weeks" style rules meaningful.
 * Precision is kept: a date stays a date, a dateTime keeps its time of day and its UTC offset
 * (so the instant moves by exactly `days` × 24 h). Year and year-month values are left alone
 * because moving them by days could not keep their precision.
 */
export function shiftDates<T>(resource: T, days: number): T {
  if (!Number.isInteger(days)) {
    throw new RangeError(`shiftDates needs a whole number of days, got ${days}`);
  }
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      return key !== undefined && NOT_DATE_KEYS.has(key) ? value : shiftDateString(value, days);
    }
    if (Array.isArray(value)) {
      return value.map((item) => walk(item, key));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(resource, undefined) as T;
}

function shiftDateString(value: string, days: number): string {
  const match = FHIR_DATE.exec(value);
  if (!match) {
    return value;
  }
  const [, y, m, d, time = ''] = match;
  const year = Number(y);
  const month = Number(m) - 1;
  const day = Number(d);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) {
    return value; // not a real calendar date (e.g. 2019-02-30): not ours to reinterpret
  }
  date.setUTCDate(date.getUTCDate() + days);
  const shifted = `${String(date.getUTCFullYear()).padStart(4, '0')}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
  return shifted + time;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

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
    readonly failures: LoadFailure[] = []
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
  options: LoadOptions = {}
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
      repo
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
    throw new BundleLoadError(`${failures.length} batch entr${failures.length === 1 ? 'y' : 'ies'} failed: ${shown.join('; ')}${more}`, failures);
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
    typeof issue === 'object' && issue !== null && 'code' in issue && typeof issue.code === 'string' ? [issue.code] : []
  );
}

export interface SyntheaArchiveOptions {
  /** Stop after this many patient bundles. */
  limit?: number;
  /** Select files by base name, e.g. `Ali_Harris_<uuid>.json`. */
  filter?: (fileName: string) => boolean;
}

/**
 * Streams the patient bundles of a Synthea `.tar.xz` archive (see shared/data/README.md) one
 * file at a time, without unpacking to disk. A single `xz -dc` pass is parsed as tar here:
 * `tar -xJOf archive <name>` per file would decompress the whole archive again for every file
 * (~0.4 s each, about a minute for 160 patients).
 */
export async function* readSyntheaArchive(archivePath: string, options: SyntheaArchiveOptions = {}): AsyncGenerator<Bundle> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) {
    return;
  }
  let yielded = 0;
  for await (const file of readTarFiles(spawnXz(archivePath))) {
    const fileName = basename(file.name);
    if (!fileName.endsWith('.json') || (options.filter && !options.filter(fileName))) {
      continue;
    }
    const bundle: unknown = JSON.parse(file.data.toString('utf8'));
    if (typeof bundle !== 'object' || bundle === null || !('resourceType' in bundle) || bundle.resourceType !== 'Bundle') {
      throw new Error(`${file.name} in ${archivePath} is not a FHIR Bundle`);
    }
    yield bundle as Bundle;
    yielded += 1;
    if (yielded >= limit) {
      return;
    }
  }
}

/** Decompressed archive bytes; the xz process is stopped if the consumer stops early. */
async function* spawnXz(archivePath: string): AsyncGenerator<Buffer> {
  const child = spawn('xz', ['-dc', '--', archivePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // Awaited below; this only keeps a spawn failure from counting as an unhandled rejection meanwhile.
  exited.catch(() => undefined);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  let completed = false;
  try {
    for await (const chunk of child.stdout) {
      yield chunk as Buffer;
    }
    completed = true;
  } finally {
    if (!completed) {
      child.kill();
      await exited.catch(() => undefined);
    }
  }
  const code = await exited;
  if (code !== 0) {
    throw new Error(`xz -dc ${archivePath} exited with ${code}: ${stderr.trim()}`);
  }
}
