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

function codesIn(list: readonly ValueSetExpansionContains[]): number {
  return list.reduce((n, c) => n + (c.code ? 1 : 0) + codesIn(c.contains ?? []), 0);
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
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}${outcomeText(json) ? `: ${outcomeText(json)}` : ''}`);
    const vs = json as ValueSet | undefined;
    if (vs?.resourceType !== 'ValueSet' || !vs.expansion)
      throw new Error(`${url} did not answer with an expanded ValueSet${outcomeText(json) ? `: ${outcomeText(json)}` : ''}`);
    if (vs.expansion.offset !== undefined && vs.expansion.offset !== offset)
      throw new Error(
        `${url} answered offset ${vs.expansion.offset} when asked for ${offset}: it does not page as FHIR ` +
          `asks, so the expansion would be incomplete`,
      );
    first ??= vs.expansion;
    const got = vs.expansion.contains ?? [];
    contains.push(...got);
    // total counts codes, and the FHIR example nests codes under abstract headings: count codes, not entries.
    const codes = codesIn(got);
    const total = vs.expansion.total;
    const more = total !== undefined ? offset + codes < total : codes >= PAGE_SIZE;
    if (!more) return { expansion: first, contains, pages: page };
    if (codes === 0) throw new Error(`${url} said ${total} codes and sent an empty page at offset ${offset}`);
    offset += codes;
  }
  throw new Error(`${url} sent more than ${MAX_PAGES} pages; stopped`);
}
