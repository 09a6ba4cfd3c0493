/**
 * Defensive readers for FHIR resources. Records from EHRs are often incomplete or malformed, and a
 * missing field must read as "unknown", never crash the request.
 */
import type { CodeableConcept, Coding, Medication, MedicationRequest, MedicationStatement, Resource } from 'fhir/r4.js';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A string field, or undefined for anything else: a record's values are never trusted to be the type FHIR says. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function referenceTo(resource: Resource): string {
  const id = typeof resource.id === 'string' && FHIR_ID.test(resource.id) ? resource.id : 'unknown';
  return `${resource.resourceType}/${id}`;
}

export function conceptText(concept: CodeableConcept | undefined, match?: Coding): string {
  const matched = str(match?.display);
  if (matched) return matched;
  if (concept && typeof concept === 'object') {
    const text = str(concept.text);
    if (text) return text;
    const coding = Array.isArray(concept.coding) ? concept.coding.find((c) => c && typeof c === 'object' && str(c.display)) : undefined;
    if (coding?.display) return coding.display;
  }
  return str(match?.code) ?? 'unnamed';
}

/** Every display and text in a concept, lower-cased, for medications recorded by name. */
export function conceptWords(concept: CodeableConcept | undefined): string {
  if (!concept || typeof concept !== 'object') return '';
  const parts = [typeof concept.text === 'string' ? concept.text : ''];
  for (const c of Array.isArray(concept.coding) ? concept.coding : []) {
    if (c && typeof c.display === 'string') parts.push(c.display);
  }
  return parts.join(' ');
}

export function asArray<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * What a MedicationRequest or MedicationStatement prescribes: its medicationCodeableConcept, else
 * the code of the contained Medication its medicationReference points to (`#id`), as EHRs write a
 * medication that has no entry of its own. A Medication elsewhere on the server is not read here.
 */
export function medicationConcept(r: MedicationRequest | MedicationStatement): CodeableConcept | undefined {
  if (r.medicationCodeableConcept && typeof r.medicationCodeableConcept === 'object') return r.medicationCodeableConcept;
  const ref = str(r.medicationReference?.reference);
  if (!ref?.startsWith('#')) return undefined;
  const med = asArray(r.contained).find((c) => c?.resourceType === 'Medication' && c.id === ref.slice(1)) as Medication | undefined;
  return med?.code && typeof med.code === 'object' ? med.code : undefined;
}
