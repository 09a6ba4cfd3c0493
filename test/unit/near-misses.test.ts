/**
 * Near misses in the explain trace: what is in the record but does not count, and why. A medication
 * short of its days of supply (or not taken), a PHQ-9 or GAD-7 older than a rule's window or a little
 * under its cut-off: the trace names the resource, the number and the limit, not just "none found".
 */
import type { MedicationStatement, Observation } from 'fhir/r4.js';
import { medicationNearMisses } from '../../src/explain/medication-near-misses.js';
import { NEAR_POINTS } from '../../src/explain/mood-near-misses.js';
import type { ExplainTrace } from '../../src/explain/trace.js';
import { buildPatientFacts } from '../../src/facts/patient-facts.js';
import type { PatientRecord } from '../../src/facts/types.js';
import { SERVICES } from '../../src/hooks/services.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { runScenario } from '../../src/demo/scenarios/run.js';
import type { Scenario } from '../../src/demo/scenarios/schema.js';
import { daysAgo, medicationRequest, NOW, PATIENT_ID, record, supplyFor } from '../support/fhir-builders.js';
import { regExp } from '../support/regexp.js';

const kb = loadKnowledge({ rulesDir, cardsDir });
const lookup = kb.valueSet.bind(kb);
const PREDNISONE = 'prednisone 5 MG Oral Tablet';
/** Scenario files hold FHIR resources as plain JSON objects with an id. */
type ScenarioResource = Scenario['resources'][number];
const asScenarioResource = (r: object): ScenarioResource => r as ScenarioResource;

function steroidMisses(r: PatientRecord): { reference: string; date?: string; why: string }[] {
  const facts = buildPatientFacts(r, NOW, kb);
  return medicationNearMisses(kb.findings.redFlags, facts.redFlags, r, NOW, lookup).map(({ reference, date, why }) => ({
    reference,
    ...(date ? { date } : {}),
    why,
  }));
}

describe('medication coverage near misses (long-term systemic steroids: 90 of the last 366 days)', () => {
  test('a course short of the minimum: its days in the look-back, all courses together, and what is needed', () => {
    expect(steroidMisses(record({ medicationRequests: [medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(60))] }))).toEqual([
      {
        reference: 'MedicationRequest/m1',
        date: daysAgo(200),
        why: 'covers 60 days in the look-back; all courses together cover 60, needs 90 of the last 366 days',
      },
    ]);
  });

  test('two short courses: each its own days, the union once', () => {
    const misses = steroidMisses(
      record({
        medicationRequests: [
          medicationRequest('m1', PREDNISONE, daysAgo(300), supplyFor(40)),
          medicationRequest('m2', PREDNISONE, daysAgo(100), supplyFor(40)),
        ],
      }),
    );
    expect(misses.map((m) => m.why)).toEqual([
      'covers 40 days in the look-back; all courses together cover 80, needs 90 of the last 366 days',
      'covers 40 days in the look-back; all courses together cover 80, needs 90 of the last 366 days',
    ]);
  });

  test('a long course that ended before the look-back says by how many days', () => {
    expect(steroidMisses(record({ medicationRequests: [medicationRequest('m1', PREDNISONE, daysAgo(500), supplyFor(100))] }))).toEqual([
      {
        reference: 'MedicationRequest/m1',
        date: daysAgo(500),
        why: 'its course ended 35 days before the 366-day look-back; all courses together cover 0, needs 90 of the last 366 days',
      },
    ]);
  });

  test('a status that does not count (cancelled, not-taken) is named, even for a course long enough', () => {
    const statement: MedicationStatement = {
      resourceType: 'MedicationStatement',
      id: 's1',
      status: 'not-taken',
      medicationCodeableConcept: { text: PREDNISONE },
      subject: { reference: `Patient/${PATIENT_ID}` },
      effectivePeriod: { start: daysAgo(200), end: daysAgo(10) },
    };
    const r = record({
      medicationRequests: [medicationRequest('m1', PREDNISONE, daysAgo(200), { ...supplyFor(120), status: 'cancelled' })],
      medicationStatements: [statement],
    });
    expect(steroidMisses(r).map((m) => [m.reference, m.why])).toEqual([
      ['MedicationRequest/m1', 'MedicationRequest status "cancelled" does not count as taking it'],
      ['MedicationStatement/s1', 'MedicationStatement status "not-taken" does not count as taking it'],
    ]);
  });

  test('no near miss when the finding counts, for medications outside the value set, or for excluded forms (inhaled)', () => {
    expect(
      steroidMisses(
        record({
          medicationRequests: [
            medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(90)),
            medicationRequest('m2', PREDNISONE, daysAgo(10), supplyFor(5)),
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      steroidMisses(record({ medicationRequests: [medicationRequest('m1', 'ibuprofen 400 MG Oral Tablet', daysAgo(20), supplyFor(30))] })),
    ).toEqual([]);
    expect(
      steroidMisses(
        record({ medicationRequests: [medicationRequest('m1', 'budesonide 0.2 MG/ACTUAT Inhalation Powder', daysAgo(20), supplyFor(30))] }),
      ),
    ).toEqual([]);
  });

  test('explain shows it on redFlagCount instead of "none found"', async () => {
    const scenario = readScenario(`${scenariosDir}/imaging-defer-fever-15-days-ago.json`);
    const now = new Date(scenario.now);
    const day = (n: number): string => new Date(now.getTime() - n * 86_400_000).toISOString().slice(0, 10);
    const withSteroid: Scenario = {
      ...scenario,
      resources: [
        ...scenario.resources,
        asScenarioResource(
          medicationRequest('bp-steroid-short', PREDNISONE, day(120), {
            ...supplyFor(30),
            subject: { reference: `Patient/${scenario.patient.id}` },
          }),
        ),
      ],
    };
    const trace = (
      await runScenario(
        kb,
        withSteroid,
        SERVICES.find((s) => s.id === 'back-pain-imaging-select')!,
        true,
      )
    ).trace as ExplainTrace;
    const redFlags = trace.facts?.find((f) => f.name === 'redFlagCount');
    expect(redFlags?.value).toBe(0);
    expect(redFlags?.note).toMatch(
      regExp(
        /Near miss: .*Long-term systemic steroids, prednisone 5 MG Oral Tablet \(MedicationRequest\/bp-steroid-short, \d{4}-\d\d-\d\d\):/,
        / covers 30 days in the look-back; all courses together cover 30, needs 90 of the last 366 days/,
      ),
    );
  });
});

describe('mood score near misses (chronic-pain-therapy-referral: PHQ-9 or GAD-7 ≥ 10 in the last 90 days)', () => {
  const service = SERVICES.find((s) => s.id === 'chronic-pain-therapy-referral')!;
  const base = readScenario(`${scenariosDir}/chronic-pain-gad7-91-days-no-card.json`);
  const gad7 = base.resources.find((r) => r.resourceType === 'Observation') as unknown as Observation;
  const now = new Date(base.now);
  /** The same GAD-7 Observation with another score and date. */
  const scored = (value: number, days: number): Observation => ({
    ...gad7,
    effectiveDateTime: new Date(now.getTime() - days * 86_400_000).toISOString(),
    valueQuantity: { ...gad7.valueQuantity, value },
  });

  async function moodFacts(observation: Observation) {
    const scenario: Scenario = { ...base, resources: base.resources.map((r) => (r.id === gad7.id ? asScenarioResource(observation) : r)) };
    const answer = await runScenario(kb, scenario, service, true);
    const trace = answer.trace as ExplainTrace;
    return {
      cards: answer.cards.length,
      gad7: trace.facts?.find((f) => f.name === 'gad7Score'),
      phq9: trace.facts?.find((f) => f.name === 'phq9Score'),
    };
  }

  test('a score over the cut-off but a day older than the window: the score, the cut-off, its age and the window', async () => {
    const { gad7: fact } = await moodFacts(gad7);
    expect(fact?.value).toBe(12);
    expect(fact?.nearMisses?.map((m) => [m.reference, m.why])).toEqual([
      [
        `Observation/${gad7.id}`,
        'score 12 meets the cut-off 10 but is 91 days old: outside the 90-day window (chronic-pain-therapy-referral)',
      ],
    ]);
    expect(fact?.note).toMatch(
      /^Near miss: GAD-7, .*\(Observation\/cp-gad7-91-gad7, 2026-08-24\): score 12 meets the cut-off 10 but is 91 days old/,
    );
  });

  test('a score in the window a little under the cut-off: the score and the cut-off; far under, or over, no near miss', async () => {
    const near = await moodFacts(scored(8, 10));
    expect(near.cards).toBe(0);
    expect(near.gad7?.nearMisses?.map((m) => m.why)).toEqual(['score 8 is 2 points under the cut-off 10 (chronic-pain-therapy-referral)']);
    expect((await moodFacts(scored(9, 10))).gad7?.nearMisses?.map((m) => m.why)).toEqual([
      'score 9 is 1 point under the cut-off 10 (chronic-pain-therapy-referral)',
    ]);
    expect((await moodFacts(scored(7, 10))).gad7?.nearMisses?.map((m) => m.why)).toEqual([
      `score 7 is ${NEAR_POINTS} points under the cut-off 10 (chronic-pain-therapy-referral)`,
    ]);
    expect((await moodFacts(scored(6, 10))).gad7?.nearMisses).toBeUndefined();
    // Over the cut-off and in the window: the rule fires, nothing was missed.
    const fired = await moodFacts(scored(12, 10));
    expect(fired.cards).toBe(1);
    expect(fired.gad7?.nearMisses).toBeUndefined();
    // Under the cut-off and out of the window: not near on either count.
    expect((await moodFacts(scored(9, 200))).gad7?.nearMisses).toBeUndefined();
    expect(near.phq9?.nearMisses).toBeUndefined();
  });
});
