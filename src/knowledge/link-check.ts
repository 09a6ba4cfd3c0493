/**
 * Checks that the pages cards link to still answer: HEAD first, GET when a server refuses HEAD,
 * each with a timeout. Where the machine has no network the check is skipped and says so, rather
 * than reporting every link as broken.
 */
import { lookup } from 'node:dns/promises';
import type { LinksFile } from './schemas.js';

export interface LinkResult {
  url: string;
  outcome: 'ok' | 'moved' | 'broken';
  /** The HTTP status of the last answer, absent when there was none (timeout, refused). */
  status?: number;
  method: 'HEAD' | 'GET';
  /** Where a redirect ended, when that is another address: the list should name the page itself. */
  finalUrl?: string;
  message: string;
}

export interface CheckOptions {
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Answers that often mean "not with HEAD" rather than "not there": ask again with GET. */
const RETRY_WITH_GET = new Set([400, 403, 405, 501]);

async function request(url: string, method: 'HEAD' | 'GET', options: CheckOptions): Promise<Response> {
  const res = await (options.fetch ?? fetch)(url, {
    method,
    redirect: 'follow',
    signal: AbortSignal.timeout(options.timeoutMs),
    headers: { 'user-agent': 'backpain-cds link check', accept: 'text/html,*/*' },
  });
  // Only the status matters; do not download the page.
  await res.body?.cancel().catch(() => undefined);
  return res;
}

function failure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

export async function checkLink(url: string, options: CheckOptions): Promise<LinkResult> {
  let method: 'HEAD' | 'GET' = 'HEAD';
  try {
    let res = await request(url, method, options);
    if (RETRY_WITH_GET.has(res.status)) {
      method = 'GET';
      res = await request(url, method, options);
    }
    const finalUrl = res.url && res.url !== url ? res.url : undefined;
    if (!res.ok)
      return { url, outcome: 'broken', status: res.status, method, ...(finalUrl ? { finalUrl } : {}), message: `HTTP ${res.status}` };
    if (finalUrl)
      return {
        url,
        outcome: 'moved',
        status: res.status,
        method,
        finalUrl,
        message: `answers from ${finalUrl}: list that address instead`,
      };
    return { url, outcome: 'ok', status: res.status, method, message: `HTTP ${res.status}` };
  } catch (err) {
    return { url, outcome: 'broken', method, message: failure(err, options.timeoutMs) };
  }
}

export async function checkLinks(urls: readonly string[], options: CheckOptions): Promise<LinkResult[]> {
  return Promise.all(urls.map((url) => checkLink(url, options)));
}

export type Network = { available: true } | { available: false; reason: string };

/**
 * Is there a network to check against? Resolving the hosts' names answers that without sending a
 * request: if none resolves, every check would fail for the same reason, so it is skipped instead.
 */
export async function networkFor(
  hosts: readonly string[],
  timeoutMs: number,
  resolve: (host: string) => Promise<unknown> = (h) => lookup(h),
): Promise<Network> {
  const reasons: string[] = [];
  for (const host of new Set(hosts)) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        resolve(host),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), timeoutMs);
        }),
      ]);
      return { available: true };
    } catch (err) {
      reasons.push(`${host}: ${(err as { code?: string }).code ?? (err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return { available: false, reason: `could not resolve ${reasons.join('; ')}` };
}

/** One JSON object on one line, as the links file keeps each link: { "url": "...", "publisher": "..." }. */
function oneLine(value: Record<string, unknown>): string {
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/** links.json with lastChecked set to `day` for the addresses that answered, one link per line as the file is kept. */
export function recordChecked(file: LinksFile, ok: ReadonlySet<string>, day: string): string {
  const links = file.links.map((l) => (ok.has(l.url) ? { ...l, lastChecked: day } : l));
  const head = { ...(file.$schema ? { $schema: file.$schema } : {}), description: file.description };
  return [
    '{',
    ...Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`),
    '  "links": [',
    ...links.map((l, i) => `    ${oneLine(l)}${i < links.length - 1 ? ',' : ''}`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
