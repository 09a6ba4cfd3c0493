/**
 * CDS Hooks forbids null and empty optional values in responses (cds-hooks.md section 0), and so
 * does FHIR inside suggested resources. Strip them once here, whatever a template produced.
 */
export function stripEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(stripEmpty).filter((v) => v !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const cleaned = stripEmpty(v);
      if (cleaned === undefined) continue;
      if (Array.isArray(cleaned) && cleaned.length === 0) continue;
      out[k] = cleaned;
    }
    return out;
  }
  return value === null ? undefined : value;
}
