import type { Condition, ServiceRequest } from 'fhir/r4.js';
import { OVERRIDE_REASON_SYSTEM, RULE_SYSTEM, SUMMARY_MAX, renderCard } from '../../src/cards/render.js';
import type { Card } from '../../src/cards/types.js';
import { MissingVariableError, escapeMarkdown, fill, placeholdersIn, type CardScope } from '../../src/cards/variables.js';
import { buildPatientFacts } from '../../src/facts/patient-facts.js';
import type { DraftOrder } from '../../src/facts/types.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import type { CardTemplate, RuleDefinition } from '../../src/knowledge/schemas.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { evaluate } from '../../src/pipeline/evaluate.js';
import { CPT, NOW, SNOMED, concept, condition, daysAgo, procedure, record } from '../support/fhir-builders.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const USER = 'Practitioner/dr1';
const MRI: DraftOrder = { reference: 'ServiceRequest/o1', display: 'MRI lumbar spine without contrast' };
const XRAY: DraftOrder = { reference: 'ServiceRequest/o2', display: 'XR Lumbar spine 2 or 3 Views' };
/** 20 days before NOW. */
const START = '2026-11-03';

let kb: KnowledgeBase;
beforeAll(() => {
  kb = loadKnowledge({ rulesDir, cardsDir });
});

const lbp = (display = 'Low back pain, unspecified'): Condition => condition('lbp', 'M54.50', { onset: START, display });

async function cardsFor(conditions: Condition[], orders: DraftOrder[] = [MRI], extra: Parameters<typeof record>[0] = {}): Promise<Card[]> {
  const result = await evaluate(kb, {
    serviceId: 'back-pain-imaging-select',
    record: record({ conditions, ...extra }),
    orders,
    userReference: USER,
    now: NOW,
  });
  return result.cards;
}

async function onlyCard(conditions: Condition[], orders: DraftOrder[] = [MRI], extra: Parameters<typeof record>[0] = {}): Promise<Card> {
  const cards = await cardsFor(conditions, orders, extra);
  expect(cards).toHaveLength(1);
  const card = cards[0];
  if (!card) throw new Error('no card');
  return card;
}

function ruleAndTemplate(id: string): { rule: RuleDefinition; template: CardTemplate } {
  const rule = kb.ruleSetFor('back-pain-imaging-select')?.rules.find((r) => r.id === id);
  const template = kb.cards.get(id);
  if (!rule || !template) throw new Error(`no rule or card ${id}`);
  return { rule, template };
}

function allUuids(cards: Card[]): string[] {
  return cards.flatMap((c) => [c.uuid, ...(c.suggestions ?? []).map((s) => s.uuid)]);
}

describe('imaging-defer card', () => {
  let card: Card;
  beforeAll(async () => {
    card = await onlyCard([lbp()]);
  });

  test('summary names the days and is under 140 characters', () => {
    expect(card.summary).toBe('Imaging is unlikely to help yet: back pain for 20 days, no red flags recorded. Consider deferring.');
    expect(card.summary.length).toBeLessThan(140);
  });

  test('indicator is warning', () => {
    expect(card.indicator).toBe('warning');
  });

  test('card and every suggestion have an RFC 4122 uuid, all different', () => {
    const uuids = allUuids([card]);
    expect(uuids).toHaveLength(3);
    for (const uuid of uuids) expect(uuid).toMatch(UUID);
    expect(new Set(uuids).size).toBe(3);
  });

  test('source.topic is the rule id and title in urn:backpain-cds:rule', () => {
    expect(card.source).toEqual({
      label: 'backpain-cds: imaging in low back pain (NICE NG59, Choosing Wisely)',
      url: 'https://www.nice.org.uk/guidance/ng59',
      topic: { system: 'urn:backpain-cds:rule', code: 'imaging-defer', display: 'Defer lumbar imaging in the first 6 weeks of back pain' },
    });
    expect(RULE_SYSTEM).toBe('urn:backpain-cds:rule');
  });

  test('selectionBehavior is present with the suggestions', () => {
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions?.map((s) => s.label)).toEqual([
      'Remove the lumbar imaging order',
      'Remove the order and refer to physiotherapy',
    ]);
    expect(card.suggestions?.map((s) => s.isRecommended)).toEqual([true, undefined]);
  });

  test('first suggestion: one delete action whose resourceId is the order', () => {
    expect(card.suggestions?.[0]?.actions).toEqual([
      { type: 'delete', description: 'Remove the draft order: MRI lumbar spine without contrast', resourceId: 'ServiceRequest/o1' },
    ]);
  });

  test('second suggestion: delete the order, then create a full physiotherapy ServiceRequest', () => {
    const actions = card.suggestions?.[1]?.actions ?? [];
    expect(actions.map((a) => a.type)).toEqual(['delete', 'create']);
    expect(actions[0]?.resourceId).toBe('ServiceRequest/o1');
    const created = actions[1]?.resource as ServiceRequest;
    const note = created.note?.[0]?.text ?? '';
    expect(created).toEqual({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'order',
      code: {
        coding: [{ system: SNOMED, code: '308447003', display: 'Referral to physiotherapist' }],
        text: 'Referral to physiotherapy for low back pain',
      },
      subject: { reference: 'Patient/p1' },
      requester: { reference: USER },
      authoredOn: '2026-11-23',
      reasonReference: [{ reference: 'Condition/lbp', display: 'Low back pain, unspecified' }],
      note: [{ text: note }],
    });
    expect(note).toContain('Low back pain, unspecified since 2026-11-03 (20 days).');
    expect(note).toContain('checked: Cancer or a history of cancer; HIV; Organ transplant;');
    expect(actions[1]?.description).toBe('Refer to physiotherapy for low back pain');
  });

  test('override reasons carry system, code and display', () => {
    expect(card.overrideReasons).toEqual([
      { system: OVERRIDE_REASON_SYSTEM, code: 'red-flag-on-examination', display: 'Red flag found on examination' },
      { system: OVERRIDE_REASON_SYSTEM, code: 'surgery-or-injection-candidate', display: 'Candidate for surgery or injection' },
      { system: OVERRIDE_REASON_SYSTEM, code: 'decided-with-patient', display: 'Decided with the patient after discussion' },
      { system: OVERRIDE_REASON_SYSTEM, code: 'episode-longer-than-recorded', display: 'Pain started earlier than the record shows' },
    ]);
    expect(OVERRIDE_REASON_SYSTEM).toBe('urn:backpain-cds:override-reason');
  });

  test('links are absolute', () => {
    expect(card.links?.map((l) => l.type)).toEqual(['absolute', 'absolute', 'absolute']);
    expect(card.links?.[0]).toEqual({
      label: 'NHS: back pain (patient leaflet)',
      url: 'https://www.nhs.uk/conditions/back-pain/',
      type: 'absolute',
    });
  });

  test('detail names the episode, its start date and days, and the order', () => {
    expect(card.detail).toContain(
      '- Episode: Low back pain, unspecified (Condition/lbp), started 2026-11-03: 20 days ago (under 6 weeks).',
    );
    expect(card.detail).toContain('- Order: MRI lumbar spine without contrast (ServiceRequest/o1).');
    expect(card.detail).toContain('This back pain started 20 days ago and no red flags are recorded.');
  });

  test('detail is markdown lines joined with newlines, with no placeholder left', () => {
    expect(card.detail?.split('\n')[0]).toBe('**Why imaging will not help now**');
    expect(card.detail).not.toMatch(/\{\{|\}\}/);
  });

  test('nothing in the card is null', () => {
    expect(JSON.stringify(card)).not.toContain('null');
  });
});

describe('one card per order', () => {
  test('two orders: two imaging-defer cards, each deleting its own order, all uuids unique', async () => {
    const cards = await cardsFor([lbp()], [MRI, XRAY]);
    expect(cards).toHaveLength(2);
    expect(cards.map((c) => c.suggestions?.[0]?.actions[0]?.resourceId)).toEqual(['ServiceRequest/o1', 'ServiceRequest/o2']);
    expect(cards[1]?.detail).toContain('- Order: XR Lumbar spine 2 or 3 Views (ServiceRequest/o2).');
    const uuids = allUuids(cards);
    expect(uuids).toHaveLength(6);
    expect(new Set(uuids).size).toBe(6);
  });

  test('the same request twice gives new uuids', async () => {
    const [a] = await cardsFor([lbp()]);
    const [b] = await cardsFor([lbp()]);
    expect(a?.uuid).not.toBe(b?.uuid);
  });
});

describe('imaging-repeat card', () => {
  test('summary and detail say when and what the last imaging was', async () => {
    const prior = procedure('mri-old', concept(CPT, '72148', 'MRI lumbar spine'), daysAgo(100));
    const card = await onlyCard([lbp()], [MRI], { procedures: [prior] });
    expect(card.summary).toBe('Lumbar imaging was done 100 days ago (2026-08-15). A repeat is unlikely to help without new signs.');
    expect(card.summary.length).toBeLessThan(140);
    expect(card.source.topic).toEqual({ system: RULE_SYSTEM, code: 'imaging-repeat', display: 'Repeat lumbar imaging within 12 months' });
    expect(card.detail).toContain('- Previous imaging: MRI lumbar spine (Procedure/mri-old), 2026-08-15: within 12 months.');
    expect(card.detail).toContain('- Episode: Low back pain, unspecified (Condition/lbp), started 2026-11-03.');
    expect(card.suggestions).toHaveLength(1);
    expect(card.suggestions?.[0]?.actions).toEqual([
      { type: 'delete', description: 'Remove the draft order: MRI lumbar spine without contrast', resourceId: 'ServiceRequest/o1' },
    ]);
    expect(card.selectionBehavior).toBe('at-most-one');
  });
});

describe('cauda-equina-emergency card', () => {
  test(
    'critical, names each sign with reference and date; one suggestion ' +
      'removes every routine order and refers for emergency assessment today',
    async () => {
      const ces = condition('ces', 'G83.4', { onset: daysAgo(3), display: 'Cauda equina syndrome' });
      const card = await onlyCard([lbp(), ces], [MRI, XRAY]);
      expect(card.indicator).toBe('critical');
      expect(card.summary).toBe('Possible cauda equina syndrome: arrange emergency same-day assessment, not a routine imaging order.');
      expect(card.detail).toContain('- Cauda equina syndrome (Condition/ces, 2026-11-20): Cauda equina sign (last 30 days)');
      expect(card.detail).toContain('- Episode: Low back pain, unspecified (Condition/lbp), started 2026-11-03.');
      expect(card.selectionBehavior).toBe('at-most-one');
      expect(card.suggestions).toHaveLength(1);
      const [suggestion] = card.suggestions ?? [];
      expect(suggestion?.uuid).toMatch(UUID);
      expect(suggestion?.isRecommended).toBe(true);
      expect(suggestion?.actions.map((a) => [a.type, a.resourceId ?? a.resource?.resourceType])).toEqual([
        ['delete', 'ServiceRequest/o1'],
        ['delete', 'ServiceRequest/o2'],
        ['create', 'ServiceRequest'],
      ]);
      const referral = suggestion?.actions[2]?.resource as ServiceRequest;
      expect(referral).toMatchObject({
        status: 'draft',
        intent: 'order',
        priority: 'stat',
        authoredOn: '2026-11-23',
        occurrenceDateTime: '2026-11-23',
        subject: { reference: 'Patient/p1' },
        requester: { reference: USER },
        reasonReference: [{ reference: 'Condition/ces', display: 'Cauda equina syndrome' }],
      });
      expect(referral.code?.text).toMatch(/same-day assessment .* emergency MRI/);
      expect(referral.note?.[0]?.text).toContain(
        'Please assess the patient today (same day) and arrange an emergency MRI of the lumbar spine.',
      );
      expect(card.overrideReasons?.map((r) => r.code)).toEqual([
        'already-assessed-emergency',
        'sign-explained-otherwise',
        'assessed-cauda-equina-unlikely',
      ]);
      expect(card.overrideReasons?.map((r) => r.display).join(' ')).not.toMatch(/resolved/i);
      expect(card.uuid).toMatch(UUID);
    },
  );
});

describe('record text is escaped in detail', () => {
  test('a Condition display <script>alert(1)</script> is HTML-escaped in detail', async () => {
    const card = await onlyCard([lbp('<script>alert(1)</script>')]);
    expect(card.detail).toContain('- Episode: &lt;script&gt;alert(1)&lt;/script&gt; (Condition/lbp)');
    expect(card.detail).not.toContain('<script>');
  });

  test('an order display with an <img onerror> tag and an ampersand is escaped in detail', async () => {
    const card = await onlyCard([lbp()], [{ reference: 'ServiceRequest/o1', display: 'MRI & <img src=x onerror=alert(1)>' }]);
    expect(card.detail).toContain('- Order: MRI &amp; &lt;img src=x onerror=alert(1)&gt; (ServiceRequest/o1).');
    expect(card.detail).not.toContain('<img');
  });

  test('the created resource keeps the record text as data, unescaped', async () => {
    const card = await onlyCard([lbp('Back & leg pain')]);
    const created = card.suggestions?.[1]?.actions[1]?.resource as ServiceRequest;
    expect(created.reasonReference?.[0]?.display).toBe('Back & leg pain');
  });

  // Record text must not put a clickable link to any site in a card.
  test('a Condition display with markdown link syntax does not become a link in detail', async () => {
    const card = await onlyCard([lbp('[Click for results](https://evil.example)')]);
    expect(card.detail).toContain('\\[Click for results\\](https://evil.example)');
    expect(card.detail).not.toMatch(/(^|[^\\])\[Click for results\]/);
  });
});

describe('renderCard', () => {
  const scope = (): CardScope => ({
    facts: buildPatientFacts(record({ conditions: [lbp()] }), NOW, kb),
    userReference: USER,
    order: MRI,
  });

  test('a summary over 139 characters is cut at a word and ends with an ellipsis', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const long = `${'Imaging would not help with this back pain yet '.repeat(4)}({{episode.days}} days).`;
    const card = renderCard(rule, { ...template, summary: long }, scope());
    expect(SUMMARY_MAX).toBe(139);
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.summary).toBe(`${'Imaging would not help with this back pain yet '.repeat(2)}Imaging would not help with this back pain…`);
  });

  test('a summary of exactly 139 characters is kept whole', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const exact = 'x'.repeat(139);
    expect(renderCard(rule, { ...template, summary: exact }, scope()).summary).toBe(exact);
  });

  test('suggestions without selectionBehavior in the template default to at-most-one', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const { selectionBehavior: _dropped, ...rest } = template;
    expect(renderCard(rule, rest, scope()).selectionBehavior).toBe('at-most-one');
  });

  test('a template without suggestions, override reasons or links gives a card without those keys', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const bare: CardTemplate = {
      rule: template.rule,
      clinicalReview: template.clinicalReview,
      indicator: 'info',
      summary: 'Hello',
      detail: ['line'],
      source: { label: 'test' },
    };
    expect(renderCard(rule, bare, scope())).toEqual({
      uuid: expect.stringMatching(UUID),
      summary: 'Hello',
      indicator: 'info',
      detail: 'line',
      source: { label: 'test', topic: { system: RULE_SYSTEM, code: 'imaging-defer', display: rule.title } },
    });
  });

  test('a suggested resource loses nulls and empty lists (mood.evidence with no PHQ-9 or GAD-7), keeps everything else', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const withEmpties: CardTemplate = {
      ...template,
      suggestions: [
        {
          label: 'Refer',
          actions: [
            {
              type: 'create',
              description: 'Create',
              resource: {
                resourceType: 'ServiceRequest',
                status: 'draft',
                note: null,
                supportingInfo: '{{mood.evidence}}',
                category: [],
                code: { text: 'x', coding: [null] },
              },
            },
          ],
        },
      ],
    } as unknown as CardTemplate;
    const card = renderCard(rule, withEmpties, scope());
    expect(card.suggestions?.[0]?.actions[0]?.resource).toEqual({ resourceType: 'ServiceRequest', status: 'draft', code: { text: 'x' } });
  });

  test('rendering imaging-defer without an order throws MissingVariableError for order.display', () => {
    const { rule, template } = ruleAndTemplate('imaging-defer');
    const { order: _none, ...noOrder } = scope();
    let thrown: unknown;
    try {
      renderCard(rule, template, noOrder);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MissingVariableError);
    expect((thrown as MissingVariableError).variable).toBe('order.display');
    expect((thrown as MissingVariableError).message).toBe('card variable "order.display" has no value for this patient');
  });
});

describe('fill and card variables', () => {
  const facts = () => buildPatientFacts(record({ conditions: [lbp()] }), NOW, kb);

  test('fills episode, order, user and date variables', () => {
    const text = fill(
      '{{episode.display}}|{{episode.start}}|{{episode.days}}|{{episode.weeks}}' +
        '|{{order.reference}}|{{user.reference}}|{{today}}|{{patient.reference}}',
      {
        facts: facts(),
        userReference: USER,
        order: MRI,
      },
    );
    expect(text).toBe('Low back pain, unspecified|2026-11-03|20|2|ServiceRequest/o1|Practitioner/dr1|2026-11-23|Patient/p1');
  });

  test('spaces inside the braces are allowed', () => {
    expect(fill('{{ episode.days }}', { facts: facts(), userReference: USER })).toBe('20');
  });

  test('episode.start reads "an unknown date" for an undated episode', () => {
    const undated = buildPatientFacts(record({ conditions: [condition('lbp', 'M54.50')] }), NOW, kb);
    expect(fill('{{episode.start}}', { facts: undated, userReference: USER })).toBe('an unknown date');
  });

  test('a variable without a value (episode.days with no episode) throws MissingVariableError', () => {
    const noEpisode = buildPatientFacts(record(), NOW, kb);
    expect(() => fill('{{episode.days}}', { facts: noEpisode, userReference: USER })).toThrow(MissingVariableError);
    expect(() => fill('{{episode.days}}', { facts: noEpisode, userReference: USER })).toThrow(
      'card variable "episode.days" has no value for this patient',
    );
  });

  test('an unknown variable name throws MissingVariableError naming it', () => {
    expect(() => fill('{{episode.length}}', { facts: facts(), userReference: USER })).toThrow(
      'card variable "episode.length" has no value for this patient',
    );
  });

  test('redFlags.found throws when there are no red flags (a template must not claim one)', () => {
    expect(() => fill('{{redFlags.found}}', { facts: facts(), userReference: USER })).toThrow(MissingVariableError);
  });

  test('the escape function applies to values only, not to the template text', () => {
    const f = buildPatientFacts(record({ conditions: [lbp('<i>pain</i>')] }), NOW, kb);
    expect(fill('<b>{{episode.display}}</b>', { facts: f, userReference: USER }, escapeMarkdown)).toBe('<b>&lt;i&gt;pain&lt;/i&gt;</b>');
  });

  test('escapeMarkdown escapes &, < and > and markdown punctuation', () => {
    expect(escapeMarkdown('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
    expect(escapeMarkdown('&lt;')).toBe('&amp;lt;');
    expect(escapeMarkdown('[x](javascript:alert(1)) *y* `z`')).toBe('\\[x\\](javascript:alert(1)) \\*y\\* \\`z\\`');
  });

  test('placeholdersIn lists every placeholder, including repeats', () => {
    expect(placeholdersIn('{{a.b}} and {{ c }} and {{a.b}}')).toEqual(['a.b', 'c', 'a.b']);
    expect(placeholdersIn('no placeholders {single}')).toEqual([]);
  });
});
