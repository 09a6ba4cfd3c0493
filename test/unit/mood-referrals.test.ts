import { chronicPainConditions } from '../../src/facts/chronic-pain.js';
import { dayOf } from '../../src/facts/dates.js';
import { latestScore } from '../../src/facts/mood.js';
import { imagingDoneIn, isOpen, referralsIn } from '../../src/facts/referrals.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { CBT, fibromyalgia, gad7, phq9, referral } from '../support/care-builders.js';
import { condition, daysAgo, imagingStudy, LUMBAR_MRI, NOW, procedure, SNOMED } from '../support/fhir-builders.js';

const knowledge = loadKnowledge({ rulesDir, cardsDir });
const today = dayOf(NOW);

describe('latestScore', () => {
  const phq = knowledge.valueSet('phq9-total');
  const gad = knowledge.valueSet('gad7-total');

  test('the newest PHQ-9, with its age in days', () => {
    const score = latestScore([phq9('old', 18, daysAgo(100)), phq9('new', 9, daysAgo(89))], phq, today);
    expect(score).toEqual({
      reference: 'Observation/new',
      display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]',
      date: daysAgo(89),
      daysAgo: 89,
      value: 9,
    });
  });

  test('GAD-7 sent as a Quantity is read', () => {
    expect(latestScore([gad7('g', 10, `${daysAgo(91)}T08:00:00Z`)], gad, today)).toMatchObject({ value: 10, daysAgo: 91 });
  });

  test('same day: the higher score wins whatever the order', () => {
    const a = phq9('a', 8, daysAgo(3));
    const b = phq9('b', 12, daysAgo(3));
    expect(latestScore([a, b], phq, today)?.value).toBe(12);
    expect(latestScore([b, a], phq, today)?.value).toBe(12);
  });

  test('entered-in-error, future-dated and valueless results are ignored, and other codes too', () => {
    const results = [
      { ...phq9('e', 20, daysAgo(1)), status: 'entered-in-error' as const },
      phq9('future', 20, daysAgo(-2)),
      { ...phq9('none', 0, daysAgo(1)), valueInteger: undefined },
      gad7('other-code', 20, daysAgo(1)),
    ];
    expect(latestScore(results, phq, today)).toBeUndefined();
  });

  test('only a result counts: registered, cancelled and unknown statuses are ignored, preliminary and no status are read', () => {
    const withStatus = (id: string, status: 'registered' | 'cancelled' | 'unknown' | 'preliminary') => ({
      ...phq9(id, 20, daysAgo(1)),
      status,
    });
    expect(
      latestScore([withStatus('r', 'registered'), withStatus('c', 'cancelled'), withStatus('u', 'unknown')], phq, today),
    ).toBeUndefined();
    expect(latestScore([withStatus('u', 'unknown'), withStatus('p', 'preliminary')], phq, today)?.reference).toBe('Observation/p');
    const { status: _status, ...noStatus } = phq9('n', 20, daysAgo(1));
    expect(latestScore([noStatus as ReturnType<typeof phq9>], phq, today)?.reference).toBe('Observation/n');
  });
});

describe('referralsIn', () => {
  const therapy = knowledge.valueSet('referral-psychological-therapy');

  test('active, on-hold and completed referrals count, newest first; draft and revoked do not', () => {
    const found = referralsIn(
      [
        referral('done', CBT, daysAgo(366), 'completed'),
        referral('open', CBT, daysAgo(400), 'on-hold'),
        referral('recent', CBT, daysAgo(364), 'active'),
        referral('draft', CBT, daysAgo(1), 'draft'),
        referral('revoked', CBT, daysAgo(2), 'revoked'),
      ],
      therapy,
      today,
    );
    expect(found.map((r) => [r.reference, r.daysAgo, isOpen(r)])).toEqual([
      ['ServiceRequest/recent', 364, true],
      ['ServiceRequest/done', 366, false],
      ['ServiceRequest/open', 400, true],
    ]);
  });

  test('dated by occurrence when authoredOn is missing; a planned date counts as today; undated ones cannot be placed', () => {
    const occurrence = { ...referral('o', CBT, ''), authoredOn: undefined, occurrenceDateTime: daysAgo(10) };
    const planned = { ...referral('p', CBT, ''), authoredOn: undefined, occurrencePeriod: { start: daysAgo(-20) } };
    const undated = { ...referral('u', CBT, ''), authoredOn: undefined };
    expect(referralsIn([occurrence, planned, undated], therapy, today).map((r) => [r.reference, r.daysAgo])).toEqual([
      ['ServiceRequest/p', 0],
      ['ServiceRequest/o', 10],
    ]);
  });

  test('a partial date counts from its first day', () => {
    expect(referralsIn([referral('m', CBT, '2025-11')], therapy, today)[0]?.date).toBe('2025-11-01');
  });
});

describe('imagingDoneIn', () => {
  test('completed lumbar MRI procedures and studies, not X-rays', () => {
    const mri = knowledge.valueSet('lumbar-mri');
    const xray = { coding: [{ system: SNOMED, code: '840361000' }] };
    const done = imagingDoneIn(
      [
        procedure('p', LUMBAR_MRI, daysAgo(5)),
        procedure('x', xray, daysAgo(1)),
        procedure('planned', LUMBAR_MRI, daysAgo(1), 'preparation'),
      ],
      [imagingStudy('s', LUMBAR_MRI, daysAgo(8))],
      mri,
      today,
    );
    expect(done.map((d) => d.reference)).toEqual(['Procedure/p', 'ImagingStudy/s']);
  });
});

describe('chronicPainConditions', () => {
  test('active chronic pain Conditions, newest first; resolved and refuted ones do not count', () => {
    const found = chronicPainConditions(
      [
        fibromyalgia('fibro', '2019-03-01'),
        condition('cp', 'G89.29', { onset: '2024-05-02', display: 'Other chronic pain' }),
        condition('old', 'G89.4', { onset: '2018-01-01', clinical: 'resolved' }),
        condition('no', 'M79.7', { onset: '2025-01-01', verification: 'refuted' }),
        condition('undated', '82423001', { system: SNOMED, display: 'Chronic pain' }),
      ],
      knowledge.valueSet('chronic-pain'),
    );
    expect(found).toEqual([
      { reference: 'Condition/cp', display: 'Other chronic pain', date: '2024-05-02' },
      { reference: 'Condition/fibro', display: 'Primary fibromyalgia syndrome', date: '2019-03-01' },
      { reference: 'Condition/undated', display: 'Chronic pain' },
    ]);
  });
});
