/**
 * Defensive readers for FHIR resources. Records from EHRs are often incomplete or malformed, and a
 * missing field must read as "unknown", never crash the request.
 */
import type { CodeableConcept, Coding, Reference, Resource } from 'fhir/r4.js';

export function referenceTo(resource: Resource): string {
  return `${resource.resourceType}/${resource.id ?? 'unknown'}`;
}

export function conceptText(concept: CodeableConcept | undefined, match?: Coding): string {
  if (match?.display) return match.display;
  if (concept && typeof concept.text === 'string' && concept.text) return concept.text;
  const coding = concept && Array.isArray(concept.coding) ? concept.coding.find((c) => c && c.display) : undefined;
  if (coding?.display) return coding.display;
  if (match?.code) return `${match.code}`;
  return 'unnamed';
}

/** Every display and text in a concept, lower-cased, for medications recorded by name. */
export function conceptWords(concept: CodeableConcept | undefined): string {
  if (!concept) return '';
  const parts = [typeof concept.text === 'string' ? concept.text : ''];
  for (const c of Array.isArray(concept.coding) ? concept.coding : []) {
    if (c && typeof c.display === 'string') parts.push(c.display);
  }
  return parts.join(' ');
}

export function asArray<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

export function referencesPatient(ref: Reference | undefined, patientId: string): boolean {
  if (!ref || typeof ref.reference !== 'string') return false;
  return ref.reference === `Patient/${patientId}` || ref.reference.endsWith(`/Patient/${patientId}`);
}
