/**
 * The code systems the service knows, and their other spellings. Real EHRs send the OID form of a
 * system (C-CDA heritage) as often as the FHIR URI, so every system is compared in one canonical
 * form; a value set may name only these systems, so a typo cannot silently match nothing.
 */

export const SNOMED = 'http://snomed.info/sct';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const LOINC = 'http://loinc.org';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const FINDING = 'urn:backpain-cds:finding';

/** Canonical URI → the other names it goes by. */
const ALIASES: ReadonlyMap<string, readonly string[]> = new Map([
  [SNOMED, ['urn:oid:2.16.840.1.113883.6.96']],
  [ICD10CM, ['urn:oid:2.16.840.1.113883.6.90']],
  [ICD10, ['urn:oid:2.16.840.1.113883.6.3']],
  [LOINC, ['urn:oid:2.16.840.1.113883.6.1']],
  [RXNORM, ['urn:oid:2.16.840.1.113883.6.88']],
  [CPT, ['urn:oid:2.16.840.1.113883.6.12']],
  [FINDING, []],
]);

const CANONICAL = new Map<string, string>();
for (const [uri, aliases] of ALIASES) {
  CANONICAL.set(uri, uri);
  for (const alias of aliases) CANONICAL.set(alias, uri);
}

const SNOMED_EDITION = /^http:\/\/snomed\.info\/sct\/\d+(\/version\/\d+)?$/;

/** The canonical URI of a known system (OID or URI, trailing slash and surrounding space forgiven), else undefined. */
export function canonicalSystem(system: unknown): string | undefined {
  if (typeof system !== 'string') return undefined;
  const hit = CANONICAL.get(system);
  if (hit) return hit;
  const trimmed = system.trim().replace(/\/+$/, '');
  const found = CANONICAL.get(trimmed) ?? CANONICAL.get(trimmed.toLowerCase());
  if (found) return found;
  // https for http, and a SNOMED edition or version URI (http://snomed.info/sct/900000000000207008/version/20240101)
  // written where the system belongs: the same code system, and a red flag must not hide behind either.
  const http = trimmed.toLowerCase().replace(/^https:/, 'http:');
  return CANONICAL.get(http) ?? (SNOMED_EDITION.test(http) ? SNOMED : undefined);
}

export function isKnownSystem(system: unknown): boolean {
  return canonicalSystem(system) !== undefined;
}

/** Every known system in its canonical form, for messages and JSON Schema enums. */
export function knownSystems(): string[] {
  return [...ALIASES.keys()];
}

const TITLES: Readonly<Record<string, string>> = {
  [SNOMED]: 'SNOMED CT',
  [ICD10CM]: 'ICD-10-CM (the US clinical modification)',
  [ICD10]: 'ICD-10 (WHO; the UK uses it)',
  [LOINC]: 'LOINC',
  [RXNORM]: 'RxNorm',
  [CPT]: 'CPT',
  [FINDING]: 'backpain-cds finding codes (STarT Back and SCOPiC answers, rules/instruments.json)',
};

/** Every spelling a file may use, canonical first, each with the name of its system, for editor help. */
export function knownSystemNames(): { uri: string; title: string; alias?: string }[] {
  return [...ALIASES].flatMap(([uri, aliases]) => [
    { uri, title: TITLES[uri] ?? uri },
    ...aliases.map((alias) => ({ uri: alias, title: TITLES[uri] ?? uri, alias: uri })),
  ]);
}

/** Both ICD-10 editions share their category structure, so a code is compared within one family. */
export function isIcd10(system: string): boolean {
  return system === ICD10CM || system === ICD10;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known system (or alias) nearest to a misspelt one, for "did you mean" in load errors. */
export function nearestKnownSystem(system: string): string {
  let best = SNOMED;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [name, uri] of CANONICAL) {
    const d = editDistance(system.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = uri;
    }
  }
  return best;
}
