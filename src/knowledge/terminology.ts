/**
 * The one call the tools make to a FHIR terminology server: ValueSet/$expand with the file's own
 * compose (POST, a Parameters resource holding `valueSet`), following the server's pages. Only
 * `backpain-cds valueset expand` uses it; the service never needs a terminology server at run time.
 */
import type { OperationOutcome, Parameters, ValueSet, ValueSetExpansionContains } from 'fhir/r4.js';
import { valueSetResource } from './fhir-artifacts.js';
import type { ValueSetFile } from './schemas.js';

export interface ExpandResult {
  expansion: NonNullable<ValueSet['expansion']>;
  /** Every page's contains, in order (entries may still nest). */
  contains: ValueSetExpansionContains[];
  pages: number;
}

/** Codes asked for per page; a server may send fewer, and its own total and offset decide the next page. */
export const PAGE_SIZE = 1000;
const MAX_PAGES = 500;

function outcomeText(body: unknown): string {
  const o = body as OperationOutcome | undefined;
  if (o?.resourceType !== 'OperationOutcome') return '';
  return (o.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ');
}

/** The ValueSet the server expands: the file's definition, without our expansion or editor keys. */
function definition(file: ValueSetFile): ValueSet {
  const { expansion: _old, extension: _words, ...rest } = valueSetResource(file);
  return rest;
}

export async function expandOnServer(base: string, file: ValueSetFile, fetchImpl: typeof fetch = fetch): Promise<ExpandResult> {
  const url = `${base.replace(/\/+$/, '')}/ValueSet/$expand`;
  const contains: ValueSetExpansionContains[] = [];
  let first: ExpandResult['expansion'] | undefined;
  let offset = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const body: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'valueSet', resource: definition(file) },
        { name: 'offset', valueInteger: offset },
        { name: 'count', valueInteger: PAGE_SIZE },
      ],
    };
    const res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, body: JSON.stringify(body) });
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}${outcomeText(json) ? `: ${outcomeText(json)}` : ''}`);
    const vs = json as ValueSet | undefined;
    if (vs?.resourceType !== 'ValueSet' || !vs.expansion) throw new Error(`${url} did not answer with an expanded ValueSet${outcomeText(json) ? `: ${outcomeText(json)}` : ''}`);
    first ??= vs.expansion;
    const got = vs.expansion.contains ?? [];
    contains.push(...got);
    offset = (vs.expansion.offset ?? offset) + got.length;
    const total = vs.expansion.total;
    // A server that pages says so with total (and offset); without total, a full page means there may be more.
    const more = total !== undefined ? offset < total : got.length >= PAGE_SIZE;
    if (!more || got.length === 0) return { expansion: first, contains, pages: page };
  }
  throw new Error(`${url} sent more than ${MAX_PAGES} pages; stopped`);
}
