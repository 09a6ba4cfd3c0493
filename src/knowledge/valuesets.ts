import type { CodeableConcept, Coding } from 'fhir/r4.js';
import { canonicalSystem, ICD10, ICD10CM, isIcd10 } from './code-systems.js';
import { TEXT_EXCLUDES, TEXT_INCLUDES, type ValueSetConceptSet, type ValueSetFile } from './schemas.js';

export { ICD10CM };

/** ICD-10 is written with and without the dot (M54.5 / M545); compare without it. */
export function normaliseCode(system: string, code: string): string {
  return isIcd10(system) ? code.replace(/\./g, '').toUpperCase() : code;
}

export interface ValueSet {
  id: string;
  title: string;
  file: ValueSetFile;
  has(coding: { system?: unknown; code?: unknown }): boolean;
  /** The first coding of the concept that is in the set, for naming the evidence. */
  match(concept: CodeableConcept | undefined): Coding | undefined;
  /** Free-text match for medications recorded by name. */
  matchesText(text: string): boolean;
  /** True when the text names a form the set leaves out (inhaled, topical). */
  excludesText(text: string): boolean;
}

/** An ICD-10 family: the category code and, unless the filter is descendent-of, the category itself. */
export interface IcdFamily {
  prefix: string;
  /** The filter's value as written, for messages. */
  value: string;
  self: boolean;
}

/**
 * The ICD-10 families a concept set's filters name. ICD-10's hierarchy is lexical (M54.5 → M54.50),
 * so these are the only filters evaluated at run time; the loader refuses other ICD-10 filters.
 */
export function icdFamilies(set: ValueSetConceptSet): IcdFamily[] {
  const system = canonicalSystem(set.system);
  if (!system || !isIcd10(system)) return [];
  return (set.filter ?? []).flatMap((f) =>
    f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of')
      ? [{ prefix: normaliseCode(system, f.value), value: f.value, self: f.op === 'is-a' }]
      : [],
  );
}

function inFamilies(families: readonly IcdFamily[], code: string): boolean {
  return families.some((f) => code.startsWith(f.prefix) && (f.self || code !== f.prefix));
}

/**
 * Everything a lookup needs, built once at load: a hash set per system for the listed codes
 * (expansion and explicit compose concepts, minus exclusions) and the ICD-10 families as prefixes.
 */
export function compileValueSet(file: ValueSetFile): ValueSet {
  const exact = new Map<string, Set<string>>();
  const excluded = new Map<string, Set<string>>();
  const add = (table: Map<string, Set<string>>, system: string, code: string): void => {
    const canonical = canonicalSystem(system);
    if (!canonical) return; // the schema has refused unknown systems already
    let codes = table.get(canonical);
    if (!codes) table.set(canonical, (codes = new Set()));
    codes.add(normaliseCode(canonical, code));
  };
  for (const set of file.compose.exclude ?? []) for (const c of set.concept ?? []) add(excluded, set.system, c.code);
  // Explicit compose concepts always match, so a concept added by hand works before the expansion is refreshed.
  for (const set of file.compose.include) for (const c of set.concept ?? []) add(exact, set.system, c.code);
  for (const c of file.expansion.contains ?? []) add(exact, c.system, c.code);
  const includeFamilies = new Map<string, IcdFamily[]>();
  for (const set of file.compose.include) {
    const system = canonicalSystem(set.system);
    if (system) includeFamilies.set(system, [...(includeFamilies.get(system) ?? []), ...icdFamilies(set)]);
  }
  const excludeFamilies = (file.compose.exclude ?? []).flatMap(icdFamilies);
  // Exclusions win: take them out of the hash sets now, so a listed code costs one lookup.
  for (const [system, codes] of exact) {
    for (const code of codes) {
      const gone = isIcd10(system)
        ? excluded.get(ICD10CM)?.has(code) || excluded.get(ICD10)?.has(code) || inFamilies(excludeFamilies, code)
        : excluded.get(system)?.has(code);
      if (gone) codes.delete(code);
    }
  }
  const icdExcluded = new Set([...(excluded.get(ICD10CM) ?? []), ...(excluded.get(ICD10) ?? [])]);
  const cmExact = exact.get(ICD10CM) ?? new Set<string>();
  // WHO ICD-10 codes are read against the ICD-10-CM entries too: the categories are the same.
  const whoExact = new Set([...cmExact, ...(exact.get(ICD10) ?? [])]);
  const cmFamilies = includeFamilies.get(ICD10CM) ?? [];
  const whoFamilies = [...cmFamilies, ...(includeFamilies.get(ICD10) ?? [])];
  const inIcd = (codes: Set<string>, families: readonly IcdFamily[], code: string): boolean =>
    codes.has(code) || (inFamilies(families, code) && !icdExcluded.has(code) && !inFamilies(excludeFamilies, code));

  const includes: string[] = [];
  const excludes: string[] = [];
  for (const e of file.extension ?? [])
    (e.url === TEXT_INCLUDES ? includes : e.url === TEXT_EXCLUDES ? excludes : []).push(e.valueString.toLowerCase());

  const has = (coding: { system?: unknown; code?: unknown }): boolean => {
    if (typeof coding.code !== 'string') return false;
    const system = canonicalSystem(coding.system);
    if (system === undefined) return false;
    const code = normaliseCode(system, coding.code.trim());
    if (system === ICD10) return inIcd(whoExact, whoFamilies, code);
    if (system === ICD10CM) return inIcd(cmExact, cmFamilies, code);
    return exact.get(system)?.has(code) ?? false;
  };

  return {
    id: file.id,
    title: file.title,
    file,
    has,
    match(concept) {
      const codings = concept && Array.isArray(concept.coding) ? concept.coding : [];
      return codings.find((c) => c !== null && typeof c === 'object' && has(c));
    },
    matchesText(text) {
      const lower = text.toLowerCase();
      return includes.some((w) => lower.includes(w)) && !excludes.some((w) => lower.includes(w));
    },
    excludesText(text) {
      const lower = text.toLowerCase();
      return excludes.some((w) => lower.includes(w));
    },
  };
}
