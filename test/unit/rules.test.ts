import { lumbarImagingOrders } from '../../src/facts/draft-orders.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import type { RuleDefinition } from '../../src/knowledge/schemas.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import {
  applyPrecedence,
  candidatesOf,
  firedRuleIds,
  splitByMode,
  type Candidate,
  type CompiledRule,
  type EngineFacts,
  type RuleSet,
} from '../../src/rules/engine.js';
import { LOINC, SNOMED, bundleOf, concept, draftOrder } from '../support/fhir-builders.js';

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
  // Copy before sorting: firedRuleIds may hand back its memoised array. Ids with "#" are the card's own
  // guards (which paragraphs show), not rules.
  const fired = async (patch: EngineFacts): Promise<string[]> =>
    [...(await firedRuleIds(imaging, { ...EARLY, ...patch }))].filter((id) => !id.includes('#')).sort();

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

  test(
    'prior lumbar imaging 365 days ago, early episode: imaging-repeat ' + 'and imaging-defer both fire (precedence decides later)',
    async () => {
      expect(await fired({ priorLumbarImagingDaysAgo: 365 })).toEqual(['imaging-defer', 'imaging-repeat']);
    },
  );

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
    expect(show(applyPrecedence([at(repeat, 'o1'), at(silencer), at(review)]))).toEqual([
      'repeat@o1',
      'silencer@patient',
      'review@patient',
    ]);
  });

  test('"*" on a patient-scoped rule replaces every other rule for every order', () => {
    expect(show(applyPrecedence([at(defer, 'o1'), at(repeat, 'o2'), at(review), at(emergency), at(silencer)]))).toEqual([
      'emergency@patient',
    ]);
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
    expect(lumbarImagingOrders(bundleOf([mri, xray]), ['ServiceRequest/o2'], lumbar()).map((o) => o.reference)).toEqual([
      'ServiceRequest/o2',
    ]);
  });

  test('a selected non-lumbar order (cervical MRI) is not in scope', () => {
    expect(lumbarImagingOrders(bundleOf([mri, cervical]), ['ServiceRequest/o3'], lumbar())).toEqual([]);
  });

  test.each(['revoked', 'entered-in-error', 'completed'] as const)('a %s order is not in scope', (status) => {
    expect(lumbarImagingOrders(bundleOf([{ ...mri, status }]), undefined, lumbar())).toEqual([]);
  });
});
