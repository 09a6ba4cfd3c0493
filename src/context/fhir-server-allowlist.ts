/**
 * Which FHIR servers the service may call. The EHR names `fhirServer` in each request, so without
 * this check any caller could make the service send requests (and a bearer token) anywhere: SSRF.
 *
 * An entry is a base URL (`https://ehr.example.org/fhir/r4`, matched exactly) or a prefix ending in
 * `/*` (`https://ehr.example.org/tenants/*`, matched on whole path segments). The port may be `*`
 * (`http://127.0.0.1:*` then a path), which is meant for tests on loopback. Hosts are compared exactly:
 * `https://ehr.example.org` never matches `https://ehr.example.org.evil.test`.
 */
export interface AllowlistEntry {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** '' for the scheme's default port, '*' for any. */
  port: string;
  path: string;
  prefix: boolean;
}

const ANY_PORT = /^(https?:\/\/(?:\[[^\]]+\]|[^/:@]+)):\*(?=\/|$)/i;

const trimSlashes = (path: string): string => path.replace(/\/+$/, '');

/** The parsed entry, or why it is not one. */
export function parseAllowlistEntry(entry: string): AllowlistEntry | string {
  const prefix = entry.endsWith('/*');
  let text = prefix ? entry.slice(0, -2) : entry;
  const anyPort = ANY_PORT.test(text);
  if (anyPort) text = text.replace(ANY_PORT, '$1');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http or https';
  if (url.username || url.password || url.search || url.hash) return 'must not have credentials, a query or a fragment';
  if (entry.includes('*') && !prefix && !anyPort) return 'may use * only as the port or as a final /*';
  return { protocol: url.protocol, hostname: url.hostname, port: anyPort ? '*' : url.port, path: trimSlashes(url.pathname), prefix };
}

export function parseAllowlist(entries: readonly string[]): AllowlistEntry[] {
  return entries.map((e) => {
    const parsed = parseAllowlistEntry(e);
    if (typeof parsed === 'string') throw new Error(`FHIR server allowlist entry "${e}" ${parsed}`);
    return parsed;
  });
}

export type AllowlistVerdict = { ok: true; base: string } | { ok: false };

/**
 * Whether `fhirServer` may be called, and the normalised base to call it by (dot segments resolved
 * the way fetch will resolve them, so the checked URL is the called URL).
 */
export function checkFhirServer(fhirServer: string, allowlist: readonly AllowlistEntry[], httpsOnly: boolean): AllowlistVerdict {
  let url: URL;
  try {
    url = new URL(fhirServer);
  } catch {
    return { ok: false };
  }
  if (url.protocol !== 'https:' && (httpsOnly || url.protocol !== 'http:')) return { ok: false };
  if (url.username || url.password || url.search || url.hash) return { ok: false };
  // Encoded slashes and backslashes could reach a different path on a server that decodes them.
  if (/%2f|%5c/i.test(url.pathname)) return { ok: false };
  const path = trimSlashes(url.pathname);
  const allowed = allowlist.some(
    (e) =>
      e.protocol === url.protocol &&
      e.hostname === url.hostname &&
      (e.port === '*' || e.port === url.port) &&
      (e.prefix ? path === e.path || path.startsWith(`${e.path}/`) : path === e.path),
  );
  return allowed ? { ok: true, base: `${url.origin}${path}` } : { ok: false };
}

/**
 * The URL to fetch for a Bundle's `next` link, or undefined when it must not be followed (the
 * request's bearer token goes with it). The link is resolved the way fetch will resolve it (WHATWG
 * URL: dot segments, backslashes, percent-encoded dots), then compared with the base part by part:
 * same scheme and port, no credentials, a path under the base path segment by segment, and the same
 * host, or another spelling of it (`localhost` for `127.0.0.1`) that the allowlist allows with the
 * same base path. A string prefix check is not enough: `{base}/../admin` starts with `{base}/`.
 */
export function resolveNextLink(link: string, base: string, allowsBase: (base: string) => boolean): string | undefined {
  let url: URL;
  let from: URL;
  try {
    from = new URL(base);
    url = new URL(link, `${from.origin}${trimSlashes(from.pathname)}/`);
  } catch {
    return undefined;
  }
  if (url.protocol !== from.protocol || url.port !== from.port || url.username || url.password) return undefined;
  if (/%2f|%5c/i.test(url.pathname)) return undefined;
  const basePath = trimSlashes(from.pathname);
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return undefined;
  if (url.hostname !== from.hostname && !allowsBase(`${url.origin}${basePath}`)) return undefined;
  url.hash = '';
  return url.href;
}
