import type { QuestionnaireResponseItem } from 'fhir/r4.js';
import { dayOf, dayRange } from '../../src/facts/dates.js';
import {
  candidatesFromObservations,
  candidatesFromResponses,
  scoreStartBackResponse,
  selectStartBack,
  startBackRisk,
  type StartBackCandidate,
} from '../../src/facts/startback.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { finding, FINDING, startBackResponse, startBackTotal } from '../support/care-builders.js';
import { daysAgo, NOW } from '../support/fhir-builders.js';

const knowledge = loadKnowledge({ rulesDir, cardsDir });
const def = knowledge.instruments.startBack;
const totals = knowledge.valueSet(def.totalValueSet);
const today = dayOf(NOW);
const day = (n: number): number => today - n;

function fromResponses(...qrs: Parameters<typeof candidatesFromResponses>[0]): StartBackCandidate[] {
  return candidatesFromResponses(qrs, def, FINDING, today);
}
function fromObservations(...obs: Parameters<typeof candidatesFromObservations>[0]): StartBackCandidate[] {
  return candidatesFromObservations(obs, def, totals, FINDING, today);
}

describe('startBackRisk (cut-offs from rules/instruments.json)', () => {
  test.each([
    [0, undefined, 'low'],
    [3, undefined, 'low'],
    [3, 3, 'low'],
    [4, 3, 'medium'],
    [4, 4, 'high'],
    [9, 3, 'medium'],
    [9, 5, 'high'],
  ] as const)('total %i, subscore %s: %s', (total, psychosocial, risk) => {
    expect(startBackRisk({ total, ...(psychosocial !== undefined ? { psychosocial } : {}) }, def.risk)).toBe(risk);
  });

  test('a total of 4 or more without a subscore has no risk group', () => {
    expect(startBackRisk({ total: 4 }, def.risk)).toBeUndefined();
    expect(startBackRisk({ total: 9 }, def.risk)).toBeUndefined();
  });
});

describe('scoreStartBackResponse', () => {
  test('total 3: three items agreed, item 9 "slightly" scores 0', () => {
    expect(scoreStartBackResponse(startBackResponse('q', [1, 2, 3], 'slightly', daysAgo(1)), def, FINDING)).toEqual({
      ok: true,
      total: 3,
      psychosocial: 0,
    });
  });

  test.each(['item', 'answer'] as const)(
    'answers nested 100000 deep (groups via %s.item) are found, without overflowing the stack',
    (via) => {
      const flat = startBackResponse('q', [1, 2, 3], 'slightly', daysAgo(1));
      let nested: QuestionnaireResponseItem[] = flat.item ?? [];
      for (let depth = 0; depth < 100_000; depth++) {
        nested = [
          via === 'item' ? { linkId: `g${depth}`, item: nested } : { linkId: `g${depth}`, answer: [{ valueBoolean: true, item: nested }] },
        ];
      }
      expect(scoreStartBackResponse({ ...flat, item: nested }, def, FINDING)).toEqual({ ok: true, total: 3, psychosocial: 0 });
    },
  );

  test('total 4, subscore 3: medium risk', () => {
    const score = scoreStartBackResponse(startBackResponse('q', [1, 5, 6], 'very-much', daysAgo(1)), def, FINDING);
    expect(score).toEqual({ ok: true, total: 4, psychosocial: 3 });
  });

  test('total 4, subscore 4: high risk', () => {
    const score = scoreStartBackResponse(startBackResponse('q', [5, 6, 7], 'extremely', daysAgo(1)), def, FINDING);
    expect(score).toEqual({ ok: true, total: 4, psychosocial: 4 });
  });

  test('item 9: "very much" and "extremely" score 1, "moderately" scores 0', () => {
    const score = (b: 'moderately' | 'very-much' | 'extremely') =>
      scoreStartBackResponse(startBackResponse('q', [], b, daysAgo(1)), def, FINDING);
    expect(score('moderately')).toEqual({ ok: true, total: 0, psychosocial: 0 });
    expect(score('very-much')).toEqual({ ok: true, total: 1, psychosocial: 1 });
    expect(score('extremely')).toEqual({ ok: true, total: 1, psychosocial: 1 });
  });

  test('all nine agreed: 9 and 5', () => {
    expect(scoreStartBackResponse(startBackResponse('q', [1, 2, 3, 4, 5, 6, 7, 8], 'extremely', daysAgo(1)), def, FINDING)).toEqual({
      ok: true,
      total: 9,
      psychosocial: 5,
    });
  });

  test('an unanswered item makes the response unusable and is named', () => {
    const score = scoreStartBackResponse(startBackResponse('q', [1], 'slightly', daysAgo(1), { skip: ['3', '9'] }), def, FINDING);
    expect(score).toEqual({ ok: false, problem: 'items 3, 9 are not answered' });
  });

  test('an item 9 answer outside the answer list counts as unanswered', () => {
    const qr = startBackResponse('q', [1], 'slightly', daysAgo(1));
    const nine = qr.item?.find((i) => i.linkId === '9');
    if (nine) nine.answer = [{ valueCoding: { system: 'http://example.org', code: 'slightly' } }];
    expect(scoreStartBackResponse(qr, def, FINDING)).toEqual({ ok: false, problem: 'item 9 is not answered' });
  });

  test('answers nested in groups are found', () => {
    const qr = startBackResponse('q', [1, 2, 3, 4], 'slightly', daysAgo(1));
    qr.item = [{ linkId: 'group', item: qr.item ?? [] }];
    expect(scoreStartBackResponse(qr, def, FINDING)).toEqual({ ok: true, total: 4, psychosocial: 0 });
  });
});

describe('candidates', () => {
  test('only responses to the STarT Back Questionnaire count (a version suffix is fine)', () => {
    const other = { ...startBackResponse('other', [1], 'slightly', daysAgo(1)), questionnaire: 'urn:example:phq9' };
    const versioned = {
      ...startBackResponse('v', [1], 'slightly', daysAgo(1)),
      questionnaire: 'urn:backpain-cds:questionnaire:start-back|1.0',
    };
    expect(fromResponses(other, versioned).map((c) => c.evidence[0]?.reference)).toEqual(['QuestionnaireResponse/v']);
  });

  test('an in-progress response is a candidate that cannot be scored', () => {
    const [c] = fromResponses(startBackResponse('q', [1], 'slightly', daysAgo(1), { status: 'in-progress' }));
    expect(c?.outcome).toEqual({ ok: false, problem: 'it is in-progress, not completed' });
  });

  test('the subscore as a component of the total', () => {
    const [c] = fromObservations(startBackTotal('t', 6, `${daysAgo(2)}T09:00:00Z`, 4));
    expect(c?.outcome).toEqual({ ok: true, total: 6, psychosocial: 4 });
    expect(c?.evidence.map((e) => e.reference)).toEqual(['Observation/t']);
  });

  test('the subscore as its own Observation pairs with the total of the same effectiveDateTime', () => {
    const when = `${daysAgo(2)}T09:00:00Z`;
    const [c] = fromObservations(startBackTotal('t', 6, when), finding('s', 'startback-psychosocial', 3, '2026-11-21T10:00:00+01:00'));
    expect(c?.outcome).toEqual({ ok: true, total: 6, psychosocial: 3 });
    expect(c?.evidence.map((e) => e.reference)).toEqual(['Observation/t', 'Observation/s']);
    expect(when).toBe('2026-11-21T09:00:00Z');
  });

  test('a subscore taken at another time does not pair', () => {
    const [c] = fromObservations(
      startBackTotal('t', 6, `${daysAgo(2)}T09:00:00Z`),
      finding('s', 'startback-psychosocial', 3, `${daysAgo(2)}T09:30:00Z`),
    );
    expect(c?.outcome).toEqual({ ok: true, total: 6 });
  });

  test('impossible values are candidates that cannot be scored', () => {
    const [tooHigh] = fromObservations(startBackTotal('t', 10, daysAgo(2)));
    expect(tooHigh?.outcome.ok).toBe(false);
    const [misfit] = fromObservations(startBackTotal('t', 3, daysAgo(2), 4));
    expect(misfit?.outcome).toEqual({ ok: false, problem: 'its psychosocial subscore 4 does not fit its total 3' });
  });

  test('entered-in-error results are ignored', () => {
    expect(fromObservations({ ...startBackTotal('t', 2, daysAgo(2)), status: 'entered-in-error' })).toEqual([]);
  });
});

describe('selectStartBack', () => {
  const start = day(30);

  test('the newest usable result on or after the episode start', () => {
    const candidates = [
      ...fromObservations(startBackTotal('old', 2, daysAgo(20))),
      ...fromObservations(startBackTotal('new', 6, daysAgo(5), 4)),
      ...fromObservations(startBackTotal('before', 8, daysAgo(31), 5)),
    ];
    const { result, problems } = selectStartBack(candidates, start, def.risk);
    expect(result).toMatchObject({ total: 6, psychosocial: 4, risk: 'high', date: daysAgo(5) });
    expect(problems).toEqual([]);
  });

  test('a result dated on the episode start day counts', () => {
    const { result } = selectStartBack(fromObservations(startBackTotal('t', 1, daysAgo(30))), start, def.risk);
    expect(result?.risk).toBe('low');
  });

  test('a newer total of 4 or more without a subscore is skipped for an older usable one', () => {
    const candidates = [
      ...fromObservations(startBackTotal('new', 5, daysAgo(2))),
      ...fromObservations(startBackTotal('old', 4, daysAgo(10), 3)),
    ];
    expect(selectStartBack(candidates, start, def.risk).result).toMatchObject({ total: 4, psychosocial: 3, risk: 'medium' });
  });

  test('no usable result: each problem is named, and counts as unscorable for the explain trace', () => {
    const { result, problems, unscorable } = selectStartBack(
      [
        ...fromObservations(startBackTotal('new', 5, daysAgo(2))),
        ...fromResponses(startBackResponse('q', [1], 'slightly', daysAgo(3), { skip: ['4'] })),
      ],
      start,
      def.risk,
    );
    expect(result).toBeUndefined();
    expect(problems).toEqual([
      `The STarT Back result of ${daysAgo(2)} (Observation/new) has a total of 5 but no psychosocial subscore, ` +
        'which is needed to tell medium from high risk.',
      `The STarT Back result of ${daysAgo(3)} (QuestionnaireResponse/q) cannot be scored: item 4 is not answered.`,
    ]);
    expect(unscorable).toEqual(problems);
  });

  test('a result from before the episode does not count, and the card can say so', () => {
    const { result, problems, unscorable } = selectStartBack(fromObservations(startBackTotal('t', 2, daysAgo(40))), start, def.risk);
    expect(result).toBeUndefined();
    expect(unscorable).toEqual([]);
    expect(problems).toEqual([
      `No STarT Back result is recorded since this episode started on ${daysAgo(30)} (the last one, on ${daysAgo(40)}, was before it).`,
    ]);
  });

  test('without an episode no result is tied to one', () => {
    const { result, problems } = selectStartBack(fromObservations(startBackTotal('t', 2, daysAgo(4))), undefined, def.risk);
    expect(result).toBeUndefined();
    expect(problems[0]).toMatch(/no open back pain episode/);
  });

  test('an undated episode: a result in its look-back days counts, an older one does not and the problem says why', () => {
    const recent = selectStartBack(fromObservations(startBackTotal('t', 2, daysAgo(90))), today - 90, def.risk, 90);
    expect(recent.result).toMatchObject({ total: 2, risk: 'low' });
    const old = selectStartBack(fromObservations(startBackTotal('t', 2, daysAgo(91))), today - 90, def.risk, 90);
    expect(old.result).toBeUndefined();
    expect(old.problems[0]).toMatch(/in the last 90 days \(the episode has no start date/);
  });

  test('on the same day the answers win over an Observation, whatever the order', () => {
    const qr = fromResponses(startBackResponse('q', [1, 2, 3, 4], 'slightly', daysAgo(2)));
    const obs = fromObservations(startBackTotal('t', 2, daysAgo(2)));
    expect(selectStartBack([...obs, ...qr], start, def.risk).result?.evidence[0]?.reference).toBe('QuestionnaireResponse/q');
    expect(selectStartBack([...qr, ...obs], start, def.risk).result?.evidence[0]?.reference).toBe('QuestionnaireResponse/q');
  });

  test('a result dated in the future is not a result yet', () => {
    expect(fromObservations(startBackTotal('t', 2, daysAgo(-3)))).toEqual([]);
    expect(dayRange(daysAgo(-3))?.earliest).toBeGreaterThan(today);
  });
});
