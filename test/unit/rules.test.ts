import type { Condition, ImagingStudy, Patient, Procedure } from 'fhir/r4.js';
import { lumbarImagingOrders } from '../../src/facts/imaging.js';
import type { DraftOrder } from '../../src/facts/types.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import type { RuleDefinition } from '../../src/knowledge/schemas.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { copyKnowledge } from '../support/knowledge-copy.js';
import { applyPrecedence, candidatesOf, firedRuleIds, splitByMode, type Candidate, type CompiledRule, type EngineFacts, type RuleSet } from '../../src/rules/engine.js';
import { evaluate } from '../../src/pipeline/evaluate.js';
import {
  CPT,
  LOINC,
  NOW,
  SNOMED,
  backPain,
  bundleOf,
  concept,
  condition,
  daysAgo,
  draftOrder,
  imagingStudy,
  patient,
  procedure,
  record,
} from '../support/fhir-builders.js';

let kb: KnowledgeBase;
let imaging: RuleSet;
beforeAll(() => {
  kb = loadKnowledge({ rulesDir, cardsDir });
  const set = kb.ruleSetFor('back-pain-imaging-select');
  if (!set) throw new Error('no rule set for back-pain-imaging-select');
  imaging = set;
});

describe('rule files', () => {
  test('order-select and order-sign share the imaging rule file', () => {
    expect(kb.ruleSetFor('back-pain-imaging-sign')).toBe(imaging);
    expect(imaging.file).toBe('rules/back-pain-imaging.json');
    expect(imaging.rules.map((r) => r.id)).toEqual(['cauda-equina-emergency', 'imaging-repeat', 'imaging-defer']);
  });

  test('an unknown service has no rule set', () => {
    expect(kb.ruleSetFor('no-such-service')).toBeUndefined();
  });

  test('scopes and replaces match design.md precedence', () => {
    const byId = new Map(imaging.rules.map((r) => [r.id, r]));
    expect(byId.get('cauda-equina-emergency')).toMatchObject({ scope: 'patient', replaces: ['*'] });
    expect(byId.get('imaging-repeat')).toMatchObject({ scope: 'order', replaces: ['imaging-defer'] });
    expect(byId.get('imaging-defer')?.scope).toBe('order');
    expect(byId.get('imaging-defer')?.replaces).toBeUndefined();
  });
});

describe('firedRuleIds on the imaging rule file', () => {
  /** An adult, 20 days into a back pain episode, with nothing else: the imaging-defer case. */
  const EARLY: EngineFacts = {
    ageYears: 46,
    openEpisode: true,
    episodeDays: 20,
    sciatica: false,
    redFlagCount: 0,
    caudaEquinaSignCount: 0,
    priorLumbarImagingDaysAgo: null,
  };
  // Copy before sorting: firedRuleIds may hand back its memoised array. Ids with "#" are the card's own guards (which paragraphs show), not rules.
  const fired = async (patch: EngineFacts): Promise<string[]> => [...(await firedRuleIds(imaging, { ...EARLY, ...patch }))].filter((id) => !id.includes('#')).sort();

  test('early episode, no red flags, adult: imaging-defer', async () => {
    expect(await fired({})).toEqual(['imaging-defer']);
  });

  test('episode day 41 is early: imaging-defer', async () => {
    expect(await fired({ episodeDays: 41 })).toEqual(['imaging-defer']);
  });

  test('episode day 42 is not early: nothing', async () => {
    expect(await fired({ episodeDays: 42 })).toEqual([]);
  });

  test('episode day 0 (started today) is early: imaging-defer', async () => {
    expect(await fired({ episodeDays: 0 })).toEqual(['imaging-defer']);
  });

  test('a 17-year-old: nothing', async () => {
    expect(await fired({ ageYears: 17 })).toEqual([]);
  });

  test('exactly 18: imaging-defer', async () => {
    expect(await fired({ ageYears: 18 })).toEqual(['imaging-defer']);
  });

  test('unknown age (null): nothing', async () => {
    expect(await fired({ ageYears: null })).toEqual([]);
  });

  test('unknown episode duration (null): nothing', async () => {
    expect(await fired({ episodeDays: null })).toEqual([]);
  });

  test('no open episode: nothing', async () => {
    expect(await fired({ openEpisode: false, episodeDays: null })).toEqual([]);
  });

  test('one red flag blocks imaging-defer', async () => {
    expect(await fired({ redFlagCount: 1 })).toEqual([]);
  });

  test('prior lumbar imaging 365 days ago, early episode: imaging-repeat and imaging-defer both fire (precedence decides later)', async () => {
    expect(await fired({ priorLumbarImagingDaysAgo: 365 })).toEqual(['imaging-defer', 'imaging-repeat']);
  });

  test('prior lumbar imaging 366 days ago is not a repeat', async () => {
    expect(await fired({ priorLumbarImagingDaysAgo: 366, episodeDays: 100 })).toEqual([]);
  });

  test('imaging-repeat fires for an episode of any duration (400 days), and for an undated one', async () => {
    expect(await fired({ priorLumbarImagingDaysAgo: 30, episodeDays: 400 })).toEqual(['imaging-repeat']);
    expect(await fired({ priorLumbarImagingDaysAgo: 30, episodeDays: null })).toEqual(['imaging-repeat']);
  });

  test('imaging-repeat needs an open episode, an adult and no red flag', async () => {
    expect(await fired({ priorLumbarImagingDaysAgo: 30, openEpisode: false, episodeDays: null })).toEqual([]);
    expect(await fired({ priorLumbarImagingDaysAgo: 30, ageYears: 17 })).toEqual([]);
    expect(await fired({ priorLumbarImagingDaysAgo: 30, redFlagCount: 2 })).toEqual([]);
  });

  test('a cauda equina sign fires cauda-equina-emergency even with red flags and a long episode', async () => {
    expect(await fired({ caudaEquinaSignCount: 1, redFlagCount: 1, episodeDays: 300 })).toEqual(['cauda-equina-emergency']);
  });

  test('the same facts asked twice give the same answer (memoised or not)', async () => {
    const facts: EngineFacts = { ...EARLY, priorLumbarImagingDaysAgo: 10, episodeDays: 77 };
    const first = [...(await firedRuleIds(imaging, facts))];
    expect(first.filter((id) => !id.includes('#'))).toEqual(['imaging-repeat']);
    expect(await firedRuleIds(imaging, { ...facts })).toEqual(first);
  });

  test('cauda-equina-emergency needs an adult, whatever the episode (a lumbar imaging order is in scope)', async () => {
    expect(await fired({ caudaEquinaSignCount: 1, openEpisode: false, episodeDays: null })).toEqual(['cauda-equina-emergency']);
    expect(await fired({ caudaEquinaSignCount: 1, ageYears: 17 })).toEqual([]);
    expect(await fired({ caudaEquinaSignCount: 1, ageYears: null })).toEqual([]);
  });
});

describe('candidatesOf (one engine run, one candidate per order for order-scoped rules)', () => {
  const show = (cs: Candidate[]): string[] => cs.map((c) => `${c.rule.id}@${c.orderReference ?? 'patient'}`);
  const orders = [{ reference: 'ServiceRequest/a' }, { reference: 'ServiceRequest/b' }];

  test('an order-scoped rule gives one candidate per order in scope, a patient-scoped rule one, in firing order', () => {
    expect(show(candidatesOf(imaging, ['cauda-equina-emergency', 'imaging-defer'], orders))).toEqual([
      'cauda-equina-emergency@patient',
      'imaging-defer@ServiceRequest/a',
      'imaging-defer@ServiceRequest/b',
    ]);
  });

  test('without orders (a service that looks at the patient once) every rule gives one candidate', () => {
    expect(show(candidatesOf(imaging, ['imaging-repeat', 'imaging-defer']))).toEqual(['imaging-repeat@patient', 'imaging-defer@patient']);
  });

  test('guard events (suggestion and detail conditions) are not rules and give no candidate', () => {
    expect(candidatesOf(imaging, ['imaging-defer#0', 'imaging-defer#detail-1'], orders)).toEqual([]);
  });
});

describe('applyPrecedence with synthetic rules', () => {
  const rule = (id: string, scope: RuleDefinition['scope'], replaces?: string[], mode: CompiledRule['mode'] = 'live'): CompiledRule => ({
    id,
    title: id,
    description: id,
    scope,
    mode,
    conditions: { all: [{ fact: 'ageYears', operator: 'greaterThan', value: 0 }] },
    ...(replaces ? { replaces } : {}),
  });
  const at = (r: CompiledRule, order?: string): Candidate => (order ? { rule: r, orderReference: order } : { rule: r });
  const show = (cs: Candidate[]): string[] => cs.map((c) => `${c.rule.id}@${c.orderReference ?? 'patient'}`);

  const defer = rule('defer', 'order');
  const repeat = rule('repeat', 'order', ['defer']);
  const emergency = rule('emergency', 'patient', ['*']);
  const review = rule('review', 'patient');
  const silencer = rule('silencer', 'patient', ['defer']);

  test('no candidates: none kept', () => {
    expect(applyPrecedence([])).toEqual([]);
  });

  test('rules that replace nothing are all kept, in order', () => {
    expect(show(applyPrecedence([at(defer, 'o1'), at(review), at(defer, 'o2')]))).toEqual(['defer@o1', 'review@patient', 'defer@o2']);
  });

  test('an order-scoped rule replaces another only for the same order', () => {
    expect(show(applyPrecedence([at(defer, 'o1'), at(repeat, 'o1'), at(defer, 'o2')]))).toEqual(['repeat@o1', 'defer@o2']);
  });

  test('an order-scoped rule replaces the other whatever the candidate order', () => {
    expect(show(applyPrecedence([at(repeat, 'o1'), at(defer, 'o1')]))).toEqual(['repeat@o1']);
  });

  test('a patient-scoped rule replaces the named rule for every order', () => {
    expect(show(applyPrecedence([at(defer, 'o1'), at(defer, 'o2'), at(silencer)]))).toEqual(['silencer@patient']);
  });

  test('a patient-scoped rule leaves rules it does not name alone', () => {
    expect(show(applyPrecedence([at(repeat, 'o1'), at(silencer), at(review)]))).toEqual(['repeat@o1', 'silencer@patient', 'review@patient']);
  });

  test('"*" on a patient-scoped rule replaces every other rule for every order', () => {
    expect(show(applyPrecedence([at(defer, 'o1'), at(repeat, 'o2'), at(review), at(emergency), at(silencer)]))).toEqual(['emergency@patient']);
  });

  test('"*" on an order-scoped rule replaces other rules for its own order only', () => {
    const stop = rule('stop', 'order', ['*']);
    expect(show(applyPrecedence([at(defer, 'o1'), at(stop, 'o1'), at(defer, 'o2'), at(repeat, 'o2')]))).toEqual(['stop@o1', 'repeat@o2']);
  });

  test('two "*" rules do not silence each other', () => {
    const other = rule('other-emergency', 'patient', ['*']);
    expect(show(applyPrecedence([at(emergency), at(other), at(defer, 'o1')]))).toEqual(['emergency@patient', 'other-emergency@patient']);
  });

  test('a rule never replaces its own cards for other orders', () => {
    const self = rule('self', 'order', ['self']);
    expect(show(applyPrecedence([at(self, 'o1'), at(self, 'o2')]))).toEqual(['self@o1', 'self@o2']);
  });

  test('a replaced rule that is not among the candidates changes nothing', () => {
    expect(show(applyPrecedence([at(repeat, 'o1'), at(repeat, 'o2')]))).toEqual(['repeat@o1', 'repeat@o2']);
  });

  test('silent mode: a silent rule never changes the live cards, and its would-be card is what it would give if live', () => {
    const silentRepeat = rule('repeat', 'order', ['defer'], 'silent');
    const silentEmergency = rule('emergency', 'patient', ['*'], 'silent');
    const split = splitByMode([at(defer, 'o1'), at(silentRepeat, 'o1'), at(defer, 'o2'), at(review)]);
    expect(show(split.live)).toEqual(['defer@o1', 'defer@o2', 'review@patient']);
    expect(show(split.silent)).toEqual(['repeat@o1']);
    // A silent rule replaced by a live one would not have been shown either, so it logs nothing.
    const replaced = splitByMode([at(emergency), at(rule('defer', 'order', undefined, 'silent'), 'o1')]);
    expect(show(replaced.live)).toEqual(['emergency@patient']);
    expect(replaced.silent).toEqual([]);
    const both = splitByMode([at(silentEmergency), at(defer, 'o1')]);
    expect(show(both.live)).toEqual(['defer@o1']);
    expect(show(both.silent)).toEqual(['emergency@patient']);
  });
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
      const result = await evaluate(silentKb, { serviceId: 'back-pain-imaging-select', record: record({ patient: ADULT, conditions: [backPain(20)] }), orders: [MRI_ORDER], userReference: 'Practitioner/dr1', now: NOW });
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
      const ces = await evaluate(fileSilent, { serviceId: 'back-pain-imaging-sign', record: record({ patient: ADULT, conditions: [backPain(20)] }), orders: [MRI_ORDER], userReference: 'Practitioner/dr1', now: NOW });
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

  test('a cauda equina sign without an open back pain episode: still the emergency, because a lumbar imaging order is in scope', async () => {
    expect((await run({ conditions: [ces] })).firedRules).toEqual(['cauda-equina-emergency']);
  });

  test('facts are returned with the evaluation', async () => {
    const result = await run({ conditions: [backPain(20)] });
    expect(result.facts.episode?.durationDays).toBe(20);
    expect(result.facts.today).toBe('2026-11-23');
  });

  test('an unknown service id is an error', async () => {
    await expect(run({ serviceId: 'no-such-service' })).rejects.toThrow('no rules are loaded for service no-such-service');
  });
});

describe('lumbarImagingOrders (the orders in scope)', () => {
  const lumbar = () => kb.valueSet('lumbar-imaging');
  const mri = draftOrder('o1');
  const xray = draftOrder('o2', concept(LOINC, '48469-1', 'XR Lumbar spine 2 or 3 Views'));
  const cervical = draftOrder('o3', concept(SNOMED, '241646009', 'MRI of cervical spine'));

  test('order-sign (no selections): every lumbar draft order, in bundle order', () => {
    expect(lumbarImagingOrders(bundleOf([mri, cervical, xray]), undefined, lumbar())).toEqual([
      { reference: 'ServiceRequest/o1', display: 'MRI lumbar spine without contrast' },
      { reference: 'ServiceRequest/o2', display: 'XR Lumbar spine 2 or 3 Views' },
    ]);
  });

  test('order-select: only the selected lumbar orders', () => {
    expect(lumbarImagingOrders(bundleOf([mri, xray]), ['ServiceRequest/o2'], lumbar()).map((o) => o.reference)).toEqual(['ServiceRequest/o2']);
  });

  test('a selected non-lumbar order (cervical MRI) is not in scope', () => {
    expect(lumbarImagingOrders(bundleOf([mri, cervical]), ['ServiceRequest/o3'], lumbar())).toEqual([]);
  });

  test.each(['revoked', 'entered-in-error', 'completed'] as const)('a %s order is not in scope', (status) => {
    expect(lumbarImagingOrders(bundleOf([{ ...mri, status }]), undefined, lumbar())).toEqual([]);
  });
});
