import type { CodeableConcept, Coding } from 'fhir/r4.js';
import { canonicalSystem, ICD10, ICD10CM, isIcd10 } from './code-systems.js';
import type { ValueSetFile } from './schemas.js';

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

export function compileValueSet(file: ValueSetFile): ValueSet {
  const exact = new Map<string, Set<string>>();
  const prefixes = new Map<string, string[]>();
  for (const entry of file.codes) {
    const system = canonicalSystem(entry.system) ?? entry.system;
    const code = normaliseCode(system, entry.code);
    if (entry.match === 'prefix') {
      prefixes.set(system, [...(prefixes.get(system) ?? []), code]);
    } else {
      if (!exact.has(system)) exact.set(system, new Set());
      exact.get(system)?.add(code);
    }
  }
  // WHO ICD-10 codes are read against the ICD-10-CM ranges too: the categories are the same.
  const icdExact = new Set([...(exact.get(ICD10CM) ?? []), ...(exact.get(ICD10) ?? [])]);
  const icdPrefixes = [...(prefixes.get(ICD10CM) ?? []), ...(prefixes.get(ICD10) ?? [])];
  const includes = (file.textIncludes ?? []).map((w) => w.toLowerCase());
  const excludes = (file.textExcludes ?? []).map((w) => w.toLowerCase());

  const has = (coding: { system?: unknown; code?: unknown }): boolean => {
    if (typeof coding.code !== 'string') return false;
    const system = canonicalSystem(coding.system);
    if (system === undefined) return false;
    const code = normaliseCode(system, coding.code.trim());
    if (system === ICD10) return icdExact.has(code) || icdPrefixes.some((p) => code.startsWith(p));
    if (exact.get(system)?.has(code)) return true;
    return (prefixes.get(system) ?? []).some((p) => code.startsWith(p));
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
