/**
 * Terminology gaps: codes seen in real records that no value set holds but whose display or text
 * names a red flag, i.e. codes an editor should probably add. Only systems, codes, displays and
 * counts leave this module: never a patient id, never free text a clinician typed.
 */
import type { CodeableConcept, Coding } from 'fhir/r4.js';
import { referencedPatientId as patientIdOf } from '../../facts/references.js';
import { canonicalSystem } from '../../knowledge/code-systems.js';
import type { KeywordMatcher } from '../../knowledge/red-flag-keywords.js';
import { normaliseCode, type ValueSet } from '../../knowledge/valuesets.js';

/** Where each resource type records the concepts the red flags are read from (design.md, Real-world records). */
const CONCEPTS: Readonly<Record<string, (r: Record<string, unknown>) => unknown[]>> = {
  Condition: (r) => [r.code],
  Observation: (r) => [r.code, r.valueCodeableConcept],
  Procedure: (r) => [r.code],
  DiagnosticReport: (r) => [r.code],
  MedicationRequest: (r) => [r.medicationCodeableConcept],
  MedicationStatement: (r) => [r.medicationCodeableConcept],
  MedicationAdministration: (r) => [r.medicationCodeableConcept],
  MedicationDispense: (r) => [r.medicationCodeableConcept],
  Medication: (r) => [r.code],
};

const MEDICATION_TYPES: ReadonlySet<string> = new Set([
  'MedicationRequest',
  'MedicationStatement',
  'MedicationAdministration',
  'MedicationDispense',
  'Medication',
]);

export interface GapRow {
  /** Canonical URI for a known system (its OID form folded in), else the system as written. */
  system: string;
  code: string;
  /** The display most often seen with this code. */
  display: string;
  redFlags: string[];
  resourceTypes: string[];
  /** Resources that carried the code. */
  records: number;
  /** Distinct patients among them (resources with no patient reference are not counted here). */
  patients: number;
}

export interface TextOnlyRow {
  redFlag: string;
  records: number;
  patients: number;
}

export interface GapSummary {
  resourcesRead: number;
  /** Concepts with no coding in any value set and no red flag word: nothing to report. */
  gaps: GapRow[];
  /** Concepts with no coded entry at all whose text names a red flag; the text itself is never shown. */
  textOnly: TextOnlyRow[];
}

interface Tally {
  system: string;
  code: string;
  displays: Map<string, number>;
  redFlags: Set<string>;
  resourceTypes: Set<string>;
  records: number;
  patients: Set<string>;
}

function asConcept(value: unknown): CodeableConcept | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function codingsOf(concept: CodeableConcept): Coding[] {
  return Array.isArray(concept.coding)
    ? concept.coding.filter(
        (c): c is Coding =>
          c !== null && typeof c === 'object' && typeof c.code === 'string' && c.code.trim() !== '' && typeof c.system === 'string',
      )
    : [];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function patientOf(resource: Record<string, unknown>): string | undefined {
  for (const key of ['subject', 'patient']) {
    const ref = resource[key];
    if (ref !== null && typeof ref === 'object') {
      const id = patientIdOf(str((ref as { reference?: unknown }).reference) || undefined);
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

export class TerminologyGaps {
  private readonly tallies = new Map<string, Tally>();
  private readonly textOnly = new Map<string, { records: number; patients: Set<string> }>();
  private read = 0;

  constructor(
    private readonly valueSets: readonly ValueSet[],
    private readonly keywords: KeywordMatcher,
  ) {}

  /** One resource of a Bulk Data export; resources of types that carry no red flag are skipped. */
  add(resource: unknown): void {
    if (resource === null || typeof resource !== 'object') return;
    const r = resource as Record<string, unknown>;
    const type = str(r.resourceType);
    const concepts = CONCEPTS[type];
    if (!concepts) return;
    this.read++;
    const patient = patientOf(r);
    for (const value of concepts(r)) {
      const concept = asConcept(value);
      if (concept) this.addConcept(type, concept, patient);
    }
  }

  private known(type: string, concept: CodeableConcept, codings: Coding[]): boolean {
    if (codings.some((c) => this.valueSets.some((vs) => vs.has(c)))) return true;
    // Medications are also read by ingredient name (systemic-corticosteroids' text words).
    if (!MEDICATION_TYPES.has(type)) return false;
    const words = [str(concept.text), ...codings.map((c) => str(c.display))].join(' ');
    return this.valueSets.some((vs) => vs.matchesText(words));
  }

  private addConcept(type: string, concept: CodeableConcept, patient: string | undefined): void {
    const codings = codingsOf(concept);
    if (this.known(type, concept, codings)) return;
    const text = str(concept.text);
    if (codings.length === 0) {
      for (const redFlag of this.keywords.redFlags(text)) {
        const row = this.textOnly.get(redFlag) ?? { records: 0, patients: new Set<string>() };
        row.records++;
        if (patient) row.patients.add(patient);
        this.textOnly.set(redFlag, row);
      }
      return;
    }
    for (const coding of codings) {
      const display = str(coding.display);
      const redFlags = new Set([...this.keywords.redFlags(display), ...this.keywords.redFlags(text)]);
      if (redFlags.size === 0) continue;
      const system = canonicalSystem(coding.system) ?? str(coding.system).trim();
      const code = normaliseCode(system, str(coding.code).trim());
      const key = `${system}|${code}`;
      let tally = this.tallies.get(key);
      if (!tally) {
        tally = {
          system,
          code: str(coding.code).trim(),
          displays: new Map(),
          redFlags: new Set(),
          resourceTypes: new Set(),
          records: 0,
          patients: new Set(),
        };
        this.tallies.set(key, tally);
      }
      tally.records++;
      // Only a coding's own display is shown: concept.text may be what a clinician typed about this patient.
      if (display) tally.displays.set(display, (tally.displays.get(display) ?? 0) + 1);
      for (const f of redFlags) tally.redFlags.add(f);
      tally.resourceTypes.add(type);
      if (patient) tally.patients.add(patient);
    }
  }

  summary(): GapSummary {
    const gaps = [...this.tallies.values()]
      .map((t): GapRow => ({
        system: t.system,
        code: t.code,
        display: [...t.displays.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '',
        redFlags: [...t.redFlags].sort(),
        resourceTypes: [...t.resourceTypes].sort(),
        records: t.records,
        patients: t.patients.size,
      }))
      .sort((a, b) => b.records - a.records || a.system.localeCompare(b.system) || a.code.localeCompare(b.code));
    const textOnly = [...this.textOnly.entries()]
      .map(([redFlag, row]) => ({ redFlag, records: row.records, patients: row.patients.size }))
      .sort((a, b) => b.records - a.records || a.redFlag.localeCompare(b.redFlag));
    return { resourcesRead: this.read, gaps, textOnly };
  }
}
