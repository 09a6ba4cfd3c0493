import type { CodeableConcept, Coding } from 'fhir/r4.js';
import type { ValueSetFile } from './schemas.js';

export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

/** ICD-10-CM is written with and without the dot (M54.5 / M545); compare without it. */
export function normaliseCode(system: string, code: string): string {
  return system === ICD10CM ? code.replace(/\./g, '').toUpperCase() : code;
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
    const code = normaliseCode(entry.system, entry.code);
    if (entry.match === 'prefix') {
      prefixes.set(entry.system, [...(prefixes.get(entry.system) ?? []), code]);
    } else {
      if (!exact.has(entry.system)) exact.set(entry.system, new Set());
      exact.get(entry.system)?.add(code);
    }
  }
  const includes = (file.textIncludes ?? []).map((w) => w.toLowerCase());
  const excludes = (file.textExcludes ?? []).map((w) => w.toLowerCase());

  const has = (coding: { system?: unknown; code?: unknown }): boolean => {
    if (typeof coding.system !== 'string' || typeof coding.code !== 'string') return false;
    const code = normaliseCode(coding.system, coding.code.trim());
    if (exact.get(coding.system)?.has(code)) return true;
    return (prefixes.get(coding.system) ?? []).some((p) => code.startsWith(p));
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
