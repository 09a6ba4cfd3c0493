/**
 * Near misses of a medication finding (long-term systemic steroids): medications in its value set
 * that are in the record but do not make it count, each with why: too few days of supply in the
 * look-back, a course that ended before it, no date to count from, or a status that does not count.
 * The days are counted as the facts count them (src/facts/findings.ts), so the numbers agree.
 */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { dayOf, isoDay } from '../facts/dates.js';
import { medicationCoverage, NOT_TAKEN, statementCoverage, type Coverage } from '../facts/findings.js';
import { asArray, conceptText, conceptWords, medicationConcept, referenceTo, str } from '../facts/resources.js';
import type { FindingHit, PatientRecord, ValueSetLookup } from '../facts/types.js';
import type { FindingDefinition, MedicationResource } from '../knowledge/schemas.js';
import type { NearMiss } from './near-misses.js';

type MedicationResourceOf = MedicationRequest | MedicationStatement;

function routeWords(kind: MedicationResource, r: MedicationResourceOf): string[] {
  const dosages =
    kind === 'MedicationRequest' ? asArray((r as MedicationRequest).dosageInstruction) : asArray((r as MedicationStatement).dosage);
  return dosages.map((d) => conceptWords(d?.route));
}

function daysIn(span: Coverage, from: number, to: number): number[] {
  const days: number[] = [];
  for (let day = Math.max(span.start, from); day <= Math.min(span.end, to); day++) days.push(day);
  return days;
}

export function medicationNearMisses(
  defs: readonly FindingDefinition[],
  found: readonly FindingHit[],
  record: PatientRecord,
  now: Date,
  lookup: ValueSetLookup,
): NearMiss[] {
  const today = dayOf(now);
  return defs.flatMap((def) => {
    const rule = def.medication;
    // A finding that counts (by a medication or a Condition) has no near miss to explain.
    if (!rule || found.some((h) => h.findingId === def.id)) return [];
    const vs = lookup(rule.valueSet);
    const from = today - rule.lookbackDays;
    const covered = new Set<number>();
    const matches: {
      hit: Omit<NearMiss, 'why'>;
      kind: MedicationResource;
      r: MedicationResourceOf;
      span: Coverage | undefined;
      days: number;
    }[] = [];
    for (const kind of rule.resources) {
      const list: MedicationResourceOf[] = kind === 'MedicationRequest' ? record.medicationRequests : record.medicationStatements;
      for (const r of list) {
        const words = [conceptWords(medicationConcept(r)), str(r.medicationReference?.display) ?? '', ...routeWords(kind, r)].join(' ');
        if (vs.excludesText(words)) continue;
        const coded = vs.match(medicationConcept(r));
        if (coded === undefined && !vs.matchesText(words)) continue;
        const skipped = typeof r.status === 'string' && NOT_TAKEN[kind].has(r.status);
        const span =
          kind === 'MedicationRequest'
            ? medicationCoverage(r as MedicationRequest, rule.defaultDays)
            : statementCoverage(r as MedicationStatement, rule.defaultDays, today);
        const inWindow = span && !skipped ? daysIn(span, from, today) : [];
        inWindow.forEach((d) => covered.add(d));
        const name = conceptText(medicationConcept(r), coded);
        matches.push({
          kind,
          r,
          span,
          days: inWindow.length,
          hit: {
            findingId: def.id,
            label: def.label,
            reference: referenceTo(r),
            display: name === 'unnamed' ? (str(r.medicationReference?.display) ?? name) : name,
            ...(span ? { date: isoDay(span.start) } : {}),
          },
        });
      }
    }
    const need = `needs ${rule.minimumDays} of the last ${rule.lookbackDays} days`;
    const total = `all courses together cover ${covered.size}`;
    return matches.map(({ hit, kind, r, span, days }): NearMiss => {
      if (typeof r.status === 'string' && NOT_TAKEN[kind].has(r.status))
        return { ...hit, why: `${kind} status "${r.status}" does not count as taking it` };
      if (!span)
        return {
          ...hit,
          why:
            `no date to count days of supply from (` +
            `${kind === 'MedicationRequest' ? 'authoredOn or dosage bounds' : 'effective[x]'}); ${total}, ${need}`,
        };
      if (span.end < from)
        return { ...hit, why: `its course ended ${from - span.end} days before the ${rule.lookbackDays}-day look-back; ${total}, ${need}` };
      if (span.start > today)
        return { ...hit, why: `its course starts ${span.start - today} days after the request time; ${total}, ${need}` };
      return { ...hit, why: `covers ${days} days in the look-back; ${total}, ${need}` };
    });
  });
}
