import type { Bundle, BundleLink } from 'fhir/r4.js';

export interface SearchContext {
  /** Server base, e.g. `http://127.0.0.1:8080/fhir` (no trailing slash). */
  base: string;
  /** Search path below the base: `/Observation`, or `` for a system-level search. */
  path: string;
  /** The search parameters as the router saw them (query string, or form body for POST `_search`). */
  params: URLSearchParams;
}

/**
 * MemoryRepository returns searchset Bundles without `link` or `fullUrl`, so clients cannot
 * page or resolve entries. This adds a self link, next/previous links
 * when `_count` limits the page, and a `fullUrl` on every entry. Links are always GET URLs,
 * even for POST `_search`, because the router answers the same parameters on GET.
 */
export function decorateSearchBundle(bundle: Bundle, ctx: SearchContext): Bundle {
  const link: BundleLink[] = [{ relation: 'self', url: searchUrl(ctx, ctx.params) }];
  const count = lastInteger(ctx.params, '_count');
  const offset = lastInteger(ctx.params, '_offset') ?? 0;
  if (count !== undefined && count > 0) {
    const matches = bundle.entry?.filter((e) => (e.search?.mode ?? 'match') === 'match').length ?? 0;
    // Without a total, a full page is the only hint that more may follow; an extra empty page is harmless.
    const hasMore = bundle.total !== undefined ? offset + count < bundle.total : matches >= count;
    if (hasMore) {
      link.push({ relation: 'next', url: searchUrl(ctx, withOffset(ctx.params, offset + count)) });
    }
    if (offset > 0) {
      link.push({ relation: 'previous', url: searchUrl(ctx, withOffset(ctx.params, Math.max(0, offset - count))) });
    }
  }
  const entry = bundle.entry?.map((e) =>
    e.resource?.id && !e.fullUrl ? { fullUrl: `${ctx.base}/${e.resource.resourceType}/${e.resource.id}`, ...e } : e,
  );
  return { ...bundle, link, ...(entry ? { entry } : {}) };
}

function searchUrl(ctx: SearchContext, params: URLSearchParams): string {
  const query = params.toString();
  return `${ctx.base}${ctx.path}${query ? `?${query}` : ''}`;
}

function withOffset(params: URLSearchParams, offset: number): URLSearchParams {
  const next = new URLSearchParams(params);
  next.set('_offset', String(offset));
  return next;
}

function lastInteger(params: URLSearchParams, name: string): number | undefined {
  const raw = params.getAll(name).at(-1);
  if (raw === undefined) {
    return undefined;
  }
  const value = Number.parseInt(raw, 10);
  return Number.isNaN(value) ? undefined : value;
}
