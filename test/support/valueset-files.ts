/** Value set files for tests, written the short way: a list of codes, "prefix" for an ICD-10 is-a filter. */
import type { ValueSetFile } from '../../src/knowledge/schemas.js';
import { TEXT_EXCLUDES, TEXT_INCLUDES } from '../../src/knowledge/schemas.js';

export interface CodeEntry {
  system: string;
  code: string;
  display?: string;
  /** "prefix": an is-a filter in compose (ICD-10 families); otherwise an explicit concept, also in the expansion. */
  match?: 'prefix';
}

export function valueSetFile(spec: {
  id: string;
  title?: string;
  description?: string;
  codes: CodeEntry[];
  exclude?: ValueSetFile['compose']['exclude'];
  textIncludes?: string[];
  textExcludes?: string[];
}): ValueSetFile {
  const include: ValueSetFile['compose']['include'] = [];
  const contains: NonNullable<ValueSetFile['expansion']['contains']> = [];
  for (const c of spec.codes) {
    if (c.match === 'prefix') {
      include.push({ system: c.system, filter: [{ property: 'concept', op: 'is-a', value: c.code }] });
      continue;
    }
    const concept = { code: c.code, ...(c.display ? { display: c.display } : {}) };
    const same = include.find((i) => i.system === c.system && i.concept);
    if (same) same.concept?.push(concept);
    else include.push({ system: c.system, concept: [concept] });
    contains.push({ system: c.system, ...concept });
  }
  const extension = [
    ...(spec.textIncludes ?? []).map((w) => ({ url: TEXT_INCLUDES, valueString: w }) as const),
    ...(spec.textExcludes ?? []).map((w) => ({ url: TEXT_EXCLUDES, valueString: w }) as const),
  ];
  return {
    resourceType: 'ValueSet',
    id: spec.id,
    url: `urn:backpain-cds:valueset:${spec.id}`,
    version: '2026-01-01',
    name: spec.id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, ch: string) => ch.toUpperCase()),
    title: spec.title ?? spec.id,
    status: 'active',
    description: spec.description ?? 'For tests',
    compose: { include, ...(spec.exclude ? { exclude: spec.exclude } : {}) },
    expansion: {
      identifier: 'urn:uuid:00000000-0000-4000-8000-000000000000',
      timestamp: '2026-01-01T00:00:00Z',
      total: contains.length,
      ...(contains.length ? { contains } : {}),
    },
    ...(extension.length ? { extension } : {}),
  };
}
