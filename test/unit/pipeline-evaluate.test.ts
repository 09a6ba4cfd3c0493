/** The pipeline's record → cards step (src/pipeline/evaluate.ts) on the imaging services: facts, rules, precedence and cards together. */
import type { Condition, ImagingStudy, Patient, Procedure } from 'fhir/r4.js';
import type { DraftOrder } from '../../src/facts/types.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { evaluate } from '../../src/pipeline/evaluate.js';
import { copyKnowledge } from '../support/knowledge-copy.js';
import {
  CPT,
  LOINC,
  NOW,
  backPain,
  concept,
  condition,
  daysAgo,
  imagingStudy,
  patient,
  procedure,
  record,
} from '../support/fhir-builders.js';

let kb: KnowledgeBase;
beforeAll(() => {
  kb = loadKnowledge({ rulesDir, cardsDir });
});

describe('evaluate on the imaging services', () => {
  const ADULT = patient('1980-04-12');
  const MRI_ORDER: DraftOrder = { reference: 'ServiceRequest/o1', display: 'MRI lumbar spine without contrast' };
  const XRAY_ORDER: DraftOrder = { reference: 'ServiceRequest/o2', display: 'XR Lumbar spine 2 or 3 Views' };

  interface Case {
    patient?: Patient;
    conditions?: Condition[];
    procedures?: Procedure[];
    imagingStudies?: ImagingStudy[];
    orders?: DraftOrder[];
    serviceId?: string;
  }
  const run = (c: Case) =>
    evaluate(kb, {
      serviceId: c.serviceId ?? 'back-pain-imaging-select',
      record: record({
        patient: c.patient ?? ADULT,
        conditions: c.conditions ?? [],
        procedures: c.procedures ?? [],
        imagingStudies: c.imagingStudies ?? [],
      }),
      orders: c.orders ?? [MRI_ORDER],
      userReference: 'Practitioner/dr1',
      now: NOW,
    });
  const orderOf = (card: { suggestions?: { actions: { type: string; resourceId?: string }[] }[] }): string | undefined =>
    card.suggestions?.[0]?.actions.find((a) => a.type === 'delete')?.resourceId;
  const lumbarMri = procedure('mri-2026', concept(CPT, '72148', 'MRI lumbar spine'), daysAgo(100));
  const ces = condition('ces', 'G83.4', { onset: daysAgo(3), display: 'Cauda equina syndrome' });

  test('adult, 20-day episode, no red flags, one order: imaging-defer, one card', async () => {
    const result = await run({ conditions: [backPain(20)] });
    expect(result.firedRules).toEqual(['imaging-defer']);
    expect(result.cards).toHaveLength(1);
    expect(result.cards[0]?.source.topic?.code).toBe('imaging-defer');
  });

  test('silent mode: the rule runs and its card is rendered, but only as a silent card', async () => {
    const copy = copyKnowledge();
    try {
      copy.editJson<{ rules: { id: string; mode?: string }[] }>('rules/back-pain-imaging.json', (f) => {
        const defer = f.rules.find((r) => r.id === 'imaging-defer');
        if (defer) defer.mode = 'silent';
      });
      const silentKb = loadKnowledge({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir });
      const result = await evaluate(silentKb, {
        serviceId: 'back-pain-imaging-select',
        record: record({ patient: ADULT, conditions: [backPain(20)] }),
        orders: [MRI_ORDER],
        userReference: 'Practitioner/dr1',
        now: NOW,
      });
      expect(result.cards).toEqual([]);
      expect(result.firedRules).toEqual([]);
      expect(result.silentRules).toEqual(['imaging-defer']);
      expect(result.silentCards[0]?.source.topic?.code).toBe('imaging-defer');
      // A whole file set silent: every rule without its own mode is silent.
      copy.editJson<{ mode?: string; rules: { id: string; mode?: string }[] }>('rules/back-pain-imaging.json', (f) => {
        f.mode = 'silent';
        for (const r of f.rules) delete r.mode;
      });
      const fileSilent = loadKnowledge({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir });
      expect(fileSilent.ruleSetFor('back-pain-imaging-sign')?.rules.map((r) => r.mode)).toEqual(['silent', 'silent', 'silent']);
      const ces = await evaluate(fileSilent, {
        serviceId: 'back-pain-imaging-sign',
        record: record({ patient: ADULT, conditions: [backPain(20)] }),
        orders: [MRI_ORDER],
        userReference: 'Practitioner/dr1',
        now: NOW,
      });
      expect([ces.cards, ces.silentRules]).toEqual([[], ['imaging-defer']]);
    } finally {
      copy.remove();
    }
  });

  test('the same on order-sign', async () => {
    expect((await run({ conditions: [backPain(20)], serviceId: 'back-pain-imaging-sign' })).firedRules).toEqual(['imaging-defer']);
  });

  test('41-day episode: imaging-defer; 42-day episode: nothing', async () => {
    expect((await run({ conditions: [backPain(41)] })).firedRules).toEqual(['imaging-defer']);
    expect((await run({ conditions: [backPain(42)] })).firedRules).toEqual([]);
  });

  test('a 17-year-old (18th birthday tomorrow): no card', async () => {
    const result = await run({ patient: patient('2008-11-24'), conditions: [backPain(20)] });
    expect(result.facts.ageYears).toBe(17);
    expect(result.firedRules).toEqual([]);
    expect(result.cards).toEqual([]);
  });

  test('18 today: imaging-defer', async () => {
    expect((await run({ patient: patient('2008-11-23'), conditions: [backPain(20)] })).firedRules).toEqual(['imaging-defer']);
  });

  test('unknown age (no birthDate): no card', async () => {
    expect((await run({ patient: patient(null), conditions: [backPain(20)] })).firedRules).toEqual([]);
  });

  test('undated episode: no imaging-defer', async () => {
    expect((await run({ conditions: [condition('lbp', 'M54.50')] })).firedRules).toEqual([]);
  });

  test('a red flag (trauma 10 days ago): no card', async () => {
    expect((await run({ conditions: [backPain(20), condition('fx', 'S32.010A', { onset: daysAgo(10) })] })).firedRules).toEqual([]);
  });

  test('no back pain episode: no card', async () => {
    expect((await run({ conditions: [] })).firedRules).toEqual([]);
  });

  test('two orders, early episode: one imaging-defer card per order', async () => {
    const result = await run({ conditions: [backPain(20)], orders: [MRI_ORDER, XRAY_ORDER] });
    expect(result.firedRules).toEqual(['imaging-defer', 'imaging-defer']);
    expect(result.cards.map(orderOf)).toEqual(['ServiceRequest/o1', 'ServiceRequest/o2']);
  });

  test('imaging-repeat replaces imaging-defer for the same order (prior MRI 100 days ago, early episode)', async () => {
    const result = await run({ conditions: [backPain(20)], procedures: [lumbarMri] });
    expect(result.firedRules).toEqual(['imaging-repeat']);
    expect(result.cards.map((c) => c.source.topic?.code)).toEqual(['imaging-repeat']);
  });

  test('imaging-repeat replaces imaging-defer for each of two orders: two repeat cards, no defer card', async () => {
    const result = await run({ conditions: [backPain(20)], procedures: [lumbarMri], orders: [MRI_ORDER, XRAY_ORDER] });
    expect(result.firedRules).toEqual(['imaging-repeat', 'imaging-repeat']);
    expect(result.cards.map(orderOf)).toEqual(['ServiceRequest/o1', 'ServiceRequest/o2']);
  });

  test('imaging-repeat on a long episode (200 days) with a prior ImagingStudy 365 days ago', async () => {
    const study = imagingStudy('st', concept(LOINC, '24968-0', 'MR Lumbar spine'), daysAgo(365));
    expect((await run({ conditions: [backPain(200)], imagingStudies: [study] })).firedRules).toEqual(['imaging-repeat']);
  });

  test('prior imaging 366 days ago on a long episode: nothing', async () => {
    const old = procedure('old', concept(CPT, '72148'), daysAgo(366));
    expect((await run({ conditions: [backPain(200)], procedures: [old] })).firedRules).toEqual([]);
  });

  test('cauda-equina-emergency replaces everything for every order: exactly one card', async () => {
    const result = await run({ conditions: [backPain(20), ces], procedures: [lumbarMri], orders: [MRI_ORDER, XRAY_ORDER] });
    expect(result.firedRules).toEqual(['cauda-equina-emergency']);
    expect(result.cards).toHaveLength(1);
    expect(result.cards[0]?.indicator).toBe('critical');
  });

  test('cauda-equina-emergency replaces imaging-defer on an early episode with one order', async () => {
    const result = await run({ conditions: [backPain(20), condition('ret', 'R33.9', { onset: daysAgo(30) })] });
    expect(result.firedRules).toEqual(['cauda-equina-emergency']);
  });

  test('a cauda equina sign 31 days ago: no emergency; it is still a neurological red flag, so no defer either', async () => {
    const old = condition('ces', 'G83.4', { onset: daysAgo(31) });
    expect((await run({ conditions: [backPain(20), old] })).firedRules).toEqual([]);
  });

  test(
    'a cauda equina sign without an open back pain episode: still ' + 'the emergency, because a lumbar imaging order is in scope',
    async () => {
      expect((await run({ conditions: [ces] })).firedRules).toEqual(['cauda-equina-emergency']);
    },
  );

  test('facts are returned with the evaluation', async () => {
    const result = await run({ conditions: [backPain(20)] });
    expect(result.facts.episode?.durationDays).toBe(20);
    expect(result.facts.today).toBe('2026-11-23');
  });

  test('an unknown service id is an error', async () => {
    await expect(run({ serviceId: 'no-such-service' })).rejects.toThrow('no rules are loaded for service no-such-service');
  });
});
