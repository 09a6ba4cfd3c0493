/**
 * Reads from the EHR's FHIR server under the request's deadline. Errors are classified here and
 * carry no URL or body, because both can hold patient data.
 */
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import type { FetchSlots } from './fetch-slots.js';
import { resolveNextLink } from './fhir-server-allowlist.js';
import { httpGet, TooLargeError, UnknownEncodingError, type HttpAnswer } from './http-get.js';

export type FetchFailure = 'timeout' | 'unreachable' | 'http-error' | 'not-fhir' | 'too-large' | 'wrong-type' | 'bad-paging';

export class FhirFetchError extends Error {
  constructor(
    readonly failure: FetchFailure,
    readonly status?: number,
  ) {
    super(status ? `${failure} (HTTP ${status})` : failure);
    this.name = 'FhirFetchError';
  }
}

/** More pages than any one patient's record should need; past it the server is likely looping. */
const MAX_PAGES = 100;

export interface FhirReader {
  /**
   * A read answers the resource, or null when the server says 404; a search answers one Bundle with
   * every page's entries (a 404 is an error).
   */
  get: (relativeUrl: string) => Promise<FhirResource | null>;
  /** The rest of a paginated Bundle, starting at its next link. */
  remainingPages: (bundle: Bundle) => Promise<BundleEntry[]>;
}

/** Process-wide limits and observers shared by every request's reader. */
export interface FetchPolicy {
  slots?: FetchSlots;
  /** Called once per HTTP read with its outcome (ok, not-found or the failure kind) and duration. */
  observe?: (outcome: 'ok' | 'not-found' | FetchFailure, seconds: number) => void;
  /** Whether another base (a next link's host spelling) is allowlisted; without it, next links stay on the request's host. */
  allowsBase?: (base: string) => boolean;
}

/** A search answers a Bundle; a read `Type/id` answers that Type. Anything else is a server error, not data. */
export function expectedResourceType(relativeUrl: string): string {
  const [path = ''] = relativeUrl.split('?');
  const segments = path.split('/').filter(Boolean);
  return relativeUrl.includes('?') || segments.length !== 2 ? 'Bundle' : (segments[0] ?? 'Bundle');
}

function isResource(value: unknown): value is FhirResource {
  return typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

/**
 * The query string as a strict server (Tomcat) accepts it: `|` and `,` (FHIR's system|code and OR
 * separators) and every other character RFC 3986 does not allow in a query are percent-encoded;
 * FHIR servers decode parameter values before they split them, so the search means the same.
 */
export function strictQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  return url.slice(0, q + 1) + url.slice(q + 1).replace(/[^A-Za-z0-9\-._~!$'()*+;=:@/?&%]/gu, (c) => encodeURIComponent(c));
}

function nextLink(bundle: Bundle): string | undefined {
  const link = Array.isArray(bundle.link) ? bundle.link.find((l) => l?.relation === 'next') : undefined;
  return typeof link?.url === 'string' ? link.url : undefined;
}

export function createFhirReader(
  baseUrl: string,
  accessToken: string | undefined,
  signal: AbortSignal,
  policy: FetchPolicy = {},
): FhirReader {
  const base = baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    accept: 'application/fhir+json',
    ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
  };
  const allowsBase = policy.allowsBase ?? (() => false);
  // Next links arrive absolute (and were checked against the allowlist); searches and reads are relative to the base.
  const send = (url: string): Promise<HttpAnswer> =>
    httpGet(/^https?:\/\//i.test(url) ? url : `${base}/${url.replace(/^\/+/, '')}`, headers, signal);

  async function request(url: string): Promise<FhirResource | null> {
    const started = performance.now();
    try {
      const result = await readOnce(strictQuery(url));
      policy.observe?.(result ? 'ok' : 'not-found', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      if (err instanceof FhirFetchError) policy.observe?.(err.failure, (performance.now() - started) / 1000);
      throw err;
    }
  }

  async function readOnce(url: string): Promise<FhirResource | null> {
    let answer: HttpAnswer;
    try {
      answer = await (policy.slots ? policy.slots.run(() => send(url), signal) : send(url));
    } catch (err) {
      if (signal.aborted) throw new FhirFetchError('timeout');
      if (err instanceof TooLargeError) throw new FhirFetchError('too-large');
      if (err instanceof UnknownEncodingError) throw new FhirFetchError('not-fhir');
      throw new FhirFetchError('unreachable');
    }
    const { status } = answer;
    // A read's 404 says the resource does not exist. A search's 404 says the server cannot run it
    // (unknown type, wrong base): the data is unknown, not empty, so it must not read as "none".
    // Redirects are not followed: the token must not go where the allowlist has not been asked.
    if (status === 404 && !url.includes('?')) return null;
    if (status < 200 || status > 299) throw new FhirFetchError('http-error', status);
    let data: unknown;
    try {
      data = JSON.parse(answer.body);
    } catch {
      throw new FhirFetchError('not-fhir', status);
    }
    if (!isResource(data)) throw new FhirFetchError('not-fhir');
    return data;
  }

  async function remainingPages(first: Bundle): Promise<BundleEntry[]> {
    const entries: BundleEntry[] = [];
    const seen = new Set<string>();
    let link = nextLink(first);
    while (link) {
      // The bearer token must never leave the allowed base, and a looping link must end.
      const next = resolveNextLink(link, base, allowsBase);
      if (!next || seen.has(next) || seen.size >= MAX_PAGES) throw new FhirFetchError('bad-paging');
      seen.add(next);
      const page = await request(next);
      if (!page || page.resourceType !== 'Bundle') throw new FhirFetchError('not-fhir');
      entries.push(...(Array.isArray(page.entry) ? page.entry : []));
      link = nextLink(page);
    }
    return entries;
  }

  return {
    async get(relativeUrl) {
      const result = await request(relativeUrl);
      if (result && result.resourceType !== expectedResourceType(relativeUrl)) throw new FhirFetchError('wrong-type');
      if (result?.resourceType !== 'Bundle' || !nextLink(result)) return result;
      const rest = await remainingPages(result);
      return { ...result, entry: [...(result.entry ?? []), ...rest], link: (result.link ?? []).filter((l) => l.relation !== 'next') };
    },
    remainingPages,
  };
}
