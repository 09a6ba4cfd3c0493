/**
 * The patient-view rule files over facts, without HTTP: each rule positive, negative and at its
 * boundaries, the precedence between them, and the ServiceRequests their suggestions create.
 */
import type { ServiceRequest } from 'fhir/r4.js';
import type { Card } from '../../src/cards/types.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { evaluate } from '../../src/pipeline/evaluate.js';
import {
  CBT,
  EXERCISE,
  fibromyalgia,
  gad7,
  MRI_SNOMED,
  phq9,
  PHYSIO,
  referral,
  sciatica,
  scopicItems,
  SPINAL,
  startBackResponse,
  startBackTotal,
} from '../support/care-builders.js';
import { r4Errors } from '../support/r4.js';
import { backPain, condition, daysAgo, NOW, patient, record, SNOMED } from '../support/fhir-builders.js';

const knowledge = loadKnowledge({ rulesDir, cardsDir });
const USER = 'Practitioner/gp-1';
type Parts = Parameters<typeof record>[0];

async function cards(serviceId: string, parts: Parts): Promise<Card[]> {
  const result = await evaluate(knowledge, { serviceId, record: record(parts), userReference: USER, now: NOW });
  return result.cards;
}
const ids = (cs: Card[]) => cs.map((c) => c.source.topic?.code).sort();
const stratified = async (parts: Parts) => ids(await cards('back-pain-stratified-care', parts));
const chronic = async (parts: Parts) => ids(await cards('chronic-pain-therapy-referral', parts));

function created(card: Card | undefined): ServiceRequest[] {
  return (card?.suggestions ?? []).flatMap((s) => s.actions.map((a) => a.resource as ServiceRequest));
}

describe('back-pain-stratified-care: who gets a card', () => {
  test('no open episode, a child, or a deceased patient: no card', async () => {
    expect(await stratified({ observations: [startBackTotal('t', 2, daysAgo(1))] })).toEqual([]);
    expect(await stratified({ patient: patient(daysAgo(365 * 17)), conditions: [backPain(10)] })).toEqual([]);
    expect(await stratified({ patient: { ...patient(), deceasedDateTime: daysAgo(1) }, conditions: [backPain(10)] })).toEqual([]);
    expect(await stratified({ patient: { resourceType: 'Patient', id: 'p1' }, conditions: [backPain(10)] })).toEqual([]);
  });

  test('a resolved back pain Condition is no episode', async () => {
    expect(await stratified({ conditions: [condition('lbp', 'M54.50', { onset: daysAgo(10), clinical: 'resolved' })] })).toEqual([]);
  });
});

describe('STarT Back matched care', () => {
  const episode = [backPain(20)];
  test('no STarT Back: startback-missing, which lists the 9 items', async () => {
    const [card] = await cards('back-pain-stratified-care', { conditions: episode });
    expect(card?.source.topic?.code).toBe('startback-missing');
    expect(card?.detail).toContain(
      '9. Overall, how bothersome has your back pain been in the last 2 ' +
        'weeks? (not at all / slightly / moderately / very much / extremely)',
    );
    expect(card?.detail).toContain(`No STarT Back result is recorded since this episode started on ${daysAgo(20)}.`);
  });

  test('total 3: low; total 4 with subscore 3: medium; subscore 4: high', async () => {
    expect(await stratified({ conditions: episode, observations: [startBackTotal('t', 3, daysAgo(2))] })).toEqual(['startback-low']);
    expect(await stratified({ conditions: episode, observations: [startBackTotal('t', 4, daysAgo(2), 3)] })).toEqual(['startback-medium']);
    expect(await stratified({ conditions: episode, observations: [startBackTotal('t', 4, daysAgo(2), 4)] })).toEqual(['startback-high']);
  });

  test('total 4 without a subscore: startback-missing, saying the subscore is needed', async () => {
    const [card] = await cards('back-pain-stratified-care', { conditions: episode, observations: [startBackTotal('t', 4, daysAgo(2))] });
    expect(card?.source.topic?.code).toBe('startback-missing');
    expect(card?.detail).toContain('has a total of 4 but no psychosocial subscore');
  });

  test('from a QuestionnaireResponse', async () => {
    expect(
      await stratified({ conditions: episode, questionnaireResponses: [startBackResponse('q', [5, 6, 7], 'extremely', daysAgo(1))] }),
    ).toEqual(['startback-high']);
  });

  test('a physiotherapy referral made since the episode started, or still open, means no card offers another', async () => {
    const medium = [startBackTotal('t', 5, daysAgo(2), 2)];
    expect(await stratified({ conditions: episode, observations: medium, serviceRequests: [referral('r', PHYSIO, daysAgo(5))] })).toEqual(
      [],
    );
    expect(
      await stratified({ conditions: episode, observations: medium, serviceRequests: [referral('r', PHYSIO, daysAgo(200), 'active')] }),
    ).toEqual([]);
    expect(
      await stratified({ conditions: episode, observations: medium, serviceRequests: [referral('r', PHYSIO, daysAgo(200), 'completed')] }),
    ).toEqual(['startback-medium']);
  });

  test('the medium risk referral is a complete ServiceRequest whose note is the referral letter', async () => {
    const [card] = await cards('back-pain-stratified-care', {
      conditions: episode,
      observations: [startBackTotal('t', 5, `${daysAgo(2)}T10:00:00Z`, 2)],
    });
    const [sr] = created(card);
    expect(sr).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      requester: { reference: USER },
      code: { coding: [{ system: SNOMED, code: PHYSIO }] },
      reasonReference: [{ reference: 'Condition/lbp' }],
      supportingInfo: [{ reference: 'Observation/t' }],
    });
    const note = sr?.note?.[0]?.text ?? '';
    expect(note).toContain(`since ${daysAgo(20)} (20 days, about 2 weeks)`);
    expect(note).toContain(`STarT Back total 5 of 9, psychosocial subscore 2 of 5: medium risk, on ${daysAgo(2)} (Observation/t)`);
    expect(note).toContain('No red flags recorded. Checked: Cancer or a history of cancer;');
    expect(note).toContain('No cauda equina signs recorded in the last 30 days.');
    expect(note).toContain(USER);
    expect(r4Errors(sr)).toEqual([]);
  });
});

describe('precedence', () => {
  const medium = [startBackTotal('t', 5, daysAgo(2), 2)];
  const cancer = condition('ca', 'Z85.3', { onset: '2015-01-01', display: 'Personal history of malignant neoplasm of breast' });
  const retention = condition('ret', 'R33.9', { onset: daysAgo(2), display: 'Retention of urine, unspecified' });

  test('red flags: red-flag-review only, naming each flag with its record and date', async () => {
    const found = await cards('back-pain-stratified-care', { conditions: [backPain(20), cancer], observations: medium });
    expect(ids(found)).toEqual(['red-flag-review']);
    expect(found[0]?.detail).toContain(
      '- **Cancer or a history of cancer**: Personal history of malignant neoplasm ' +
        'of breast (Condition/ca, recorded 2015-01-01). **Assess within 24 hours.**',
    );
  });

  test('red flags also silence startback-missing and the sciatica cards', async () => {
    expect(await stratified({ conditions: [backPain(20), cancer] })).toEqual(['red-flag-review']);
    expect(await stratified({ conditions: [sciatica(50), cancer], observations: [startBackTotal('t', 2, daysAgo(2))] })).toEqual([
      'red-flag-review',
    ]);
  });

  test('a cauda equina sign replaces everything, red flags included', async () => {
    expect(await stratified({ conditions: [backPain(20), cancer, retention], observations: medium })).toEqual(['cauda-equina-emergency']);
  });

  test('sciatica takes the SCOPiC path, never a STarT Back matched-care card', async () => {
    expect(await stratified({ conditions: [sciatica(20)], observations: medium })).toEqual(['sciatica-criteria-missing']);
  });
});

describe('SCOPiC', () => {
  const all4 = { legPain: true, belowKnee: true, interference: true, sensory: true };
  const medium = (id = 't') => startBackTotal(id, 5, daysAgo(2), 2);
  const high = (id = 't') => startBackTotal(id, 7, daysAgo(2), 4);

  test('sciatica without STarT Back: startback-missing', async () => {
    expect(await stratified({ conditions: [sciatica(20)] })).toEqual(['startback-missing']);
  });

  test('low risk: group 1, physiotherapy up to 2 sessions', async () => {
    const [card] = await cards('back-pain-stratified-care', {
      conditions: [sciatica(20)],
      observations: [startBackTotal('t', 2, daysAgo(2))],
    });
    expect(card?.source.topic?.code).toBe('sciatica-physio');
    expect(card?.summary).toBe('Sciatica, SCOPiC group 1: physiotherapy (up to 2 sessions) is the matched care. Refer with one click.');
  });

  test(
    'medium risk: 4 positive items is group 3; 3 positive and 1 ' + 'negative is group 2; 3 positive and 1 missing is undecided',
    async () => {
      expect(await stratified({ conditions: [sciatica(42)], observations: [medium(), ...scopicItems('s', daysAgo(2), all4)] })).toEqual([
        'sciatica-fast-track',
      ]);
      const group2 = await cards('back-pain-stratified-care', {
        conditions: [sciatica(42)],
        observations: [medium(), ...scopicItems('s', daysAgo(2), { ...all4, sensory: false })],
      });
      expect(ids(group2)).toEqual(['sciatica-physio']);
      expect(group2[0]?.summary).toContain('(up to 6 sessions)');
      const undecided = await cards('back-pain-stratified-care', {
        conditions: [sciatica(42)],
        observations: [medium(), ...scopicItems('s', daysAgo(2), { legPain: true, belowKnee: true, interference: true })],
      });
      expect(ids(undecided)).toEqual(['sciatica-criteria-missing']);
      expect(undecided[0]?.detail).toContain('Sensory deficit in the painful leg: Pin-prick testing');
      expect(undecided[0]?.detail).toContain('urn:backpain-cds:finding\\|leg-sensory-deficit (valueBoolean)');
    },
  );

  test('high risk: 3 positive items is group 3; 2 positive and 1 negative is undecided; 2 negative is group 2', async () => {
    expect(
      await stratified({
        conditions: [sciatica(60)],
        observations: [high(), ...scopicItems('s', daysAgo(2), { legPain: true, belowKnee: true, interference: true })],
      }),
    ).toEqual(['sciatica-fast-track']);
    expect(
      await stratified({
        conditions: [sciatica(60)],
        observations: [high(), ...scopicItems('s', daysAgo(2), { legPain: true, belowKnee: true, interference: false })],
      }),
    ).toEqual(['sciatica-criteria-missing']);
    expect(
      await stratified({
        conditions: [sciatica(60)],
        observations: [high(), ...scopicItems('s', daysAgo(2), { legPain: true, belowKnee: true, interference: false, sensory: false })],
      }),
    ).toEqual(['sciatica-physio']);
  });

  test('episode 41 days: the early card with both paths; 42 days: fast-track', async () => {
    const obs = [medium(), ...scopicItems('s', daysAgo(2), all4)];
    const early = await cards('back-pain-stratified-care', { conditions: [sciatica(41)], observations: obs });
    expect(ids(early)).toEqual(['sciatica-fast-track-early']);
    expect(early[0]?.detail).toContain('many people with sciatica get much better within 6 weeks');
    expect(early[0]?.suggestions?.map((s) => s.actions.length)).toEqual([1, 2]);
    expect(early[0]?.suggestions?.[0]?.label).toBe(`Physiotherapy now and review at 6 weeks (${daysAgo(-1)})`);
    expect(await stratified({ conditions: [sciatica(42)], observations: obs })).toEqual(['sciatica-fast-track']);
  });

  test('fast-track is one suggestion creating an MRI and a spinal specialist referral, both within 4 weeks', async () => {
    const [card] = await cards('back-pain-stratified-care', {
      conditions: [sciatica(50)],
      observations: [medium(), ...scopicItems('s', daysAgo(2), all4)],
    });
    expect(card?.suggestions).toHaveLength(1);
    const [mri, spinal] = created(card);
    expect(mri?.code?.coding?.[0]?.code).toBe(MRI_SNOMED);
    expect(spinal?.code?.coding?.[0]?.code).toBe(SPINAL);
    for (const sr of [mri, spinal]) {
      expect(sr).toMatchObject({
        status: 'draft',
        intent: 'order',
        requester: { reference: USER },
        occurrencePeriod: { start: daysAgo(0), end: daysAgo(-28) },
      });
      expect(sr?.supportingInfo?.map((r) => r.reference)).toEqual([
        'Observation/t',
        'Observation/s-leg',
        'Observation/s-knee',
        'Observation/s-interference',
        'Observation/s-sensory',
      ]);
      expect(sr?.note?.[0]?.text).toContain(`Current leg pain (0 to 10): 8, positive (${daysAgo(2)}, Observation/s-leg)`);
      expect(r4Errors(sr)).toEqual([]);
    }
  });

  test('an MRI or a spinal specialist referral since the episode started: no fast-track card', async () => {
    const obs = [medium(), ...scopicItems('s', daysAgo(2), all4)];
    expect(
      await stratified({
        conditions: [sciatica(50)],
        observations: obs,
        serviceRequests: [referral('m', MRI_SNOMED, daysAgo(3), 'active')],
      }),
    ).toEqual([]);
    expect(
      await stratified({ conditions: [sciatica(50)], observations: obs, serviceRequests: [referral('s', SPINAL, daysAgo(3))] }),
    ).toEqual([]);
    expect(
      await stratified({ conditions: [sciatica(50)], observations: obs, serviceRequests: [referral('s', SPINAL, daysAgo(60))] }),
    ).toEqual(['sciatica-fast-track']);
  });

  test('early card with a physiotherapy referral in place offers only the fast-track path', async () => {
    const [card] = await cards('back-pain-stratified-care', {
      conditions: [sciatica(20)],
      observations: [medium(), ...scopicItems('s', daysAgo(2), all4)],
      serviceRequests: [referral('p', PHYSIO, daysAgo(3), 'active')],
    });
    expect(card?.source.topic?.code).toBe('sciatica-fast-track-early');
    expect(card?.suggestions?.map((s) => s.label)).toEqual([
      'Fast-track now (pain unmanageable): MRI lumbar spine and spinal specialist within 4 weeks',
    ]);
  });

  test('SCOPiC items from before the episode start do not count', async () => {
    expect(await stratified({ conditions: [sciatica(20)], observations: [medium(), ...scopicItems('s', daysAgo(21), all4)] })).toEqual([
      'sciatica-criteria-missing',
    ]);
  });
});

describe('chronic-pain-therapy-referral', () => {
  const pain = [fibromyalgia()];

  test('PHQ-9 9: no card; PHQ-9 10: referral', async () => {
    expect(await chronic({ conditions: pain, observations: [phq9('p', 9, daysAgo(10))] })).toEqual([]);
    expect(await chronic({ conditions: pain, observations: [phq9('p', 10, daysAgo(10))] })).toEqual(['chronic-pain-therapy-referral']);
  });

  test('a score 89 days old counts; 91 days old does not (and is too recent to ask again)', async () => {
    expect(await chronic({ conditions: pain, observations: [gad7('g', 12, daysAgo(89))] })).toEqual(['chronic-pain-therapy-referral']);
    expect(await chronic({ conditions: pain, observations: [gad7('g', 12, daysAgo(91))] })).toEqual([]);
    expect(await chronic({ conditions: pain, observations: [phq9('p', 10, daysAgo(89))] })).toEqual(['chronic-pain-therapy-referral']);
    expect(await chronic({ conditions: pain, observations: [phq9('p', 10, daysAgo(91))] })).toEqual([]);
  });

  test('either score is enough: PHQ-9 below 10 with GAD-7 10 or more still refers', async () => {
    expect(await chronic({ conditions: pain, observations: [phq9('p', 4, daysAgo(10)), gad7('g', 10, daysAgo(10))] })).toEqual([
      'chronic-pain-therapy-referral',
    ]);
  });

  test('the latest score decides: an older high PHQ-9 does not count once a newer one is below 10', async () => {
    expect(await chronic({ conditions: pain, observations: [phq9('old', 15, daysAgo(30)), phq9('new', 6, daysAgo(5))] })).toEqual([]);
  });

  test('a talking therapy referral 364 days old: no card; 366 days old: card; open at any age: no card', async () => {
    const obs = [phq9('p', 14, daysAgo(10))];
    expect(await chronic({ conditions: pain, observations: obs, serviceRequests: [referral('r', CBT, daysAgo(364))] })).toEqual([]);
    expect(await chronic({ conditions: pain, observations: obs, serviceRequests: [referral('r', CBT, daysAgo(366))] })).toEqual([
      'chronic-pain-therapy-referral',
    ]);
    expect(await chronic({ conditions: pain, observations: obs, serviceRequests: [referral('r', CBT, daysAgo(500), 'on-hold')] })).toEqual(
      [],
    );
  });

  test('no chronic pain condition, a child, or a deceased patient: no card', async () => {
    const obs = [phq9('p', 20, daysAgo(10))];
    expect(await chronic({ conditions: [backPain(10)], observations: obs })).toEqual([]);
    expect(await chronic({ patient: patient(daysAgo(365 * 16)), conditions: pain, observations: obs })).toEqual([]);
    expect(await chronic({ patient: { ...patient(), deceasedBoolean: true }, conditions: pain, observations: obs })).toEqual([]);
  });

  test('the referral letter names the pain condition and both scores with their dates; group exercise is a second suggestion', async () => {
    const [card] = await cards('chronic-pain-therapy-referral', {
      conditions: pain,
      observations: [phq9('p', 14, daysAgo(10)), gad7('g', 8, daysAgo(12))],
    });
    expect(card?.selectionBehavior).toBe('any');
    expect(
      card?.suggestions?.map((s) => s.actions[0]?.resource && (s.actions[0].resource as ServiceRequest).code?.coding?.[0]?.code),
    ).toEqual([CBT, EXERCISE]);
    const [cbt] = created(card);
    expect(cbt).toMatchObject({
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      requester: { reference: USER },
      reasonReference: [{ reference: 'Condition/fibro', display: 'Primary fibromyalgia syndrome' }],
      supportingInfo: [{ reference: 'Observation/p' }, { reference: 'Observation/g' }],
    });
    const note = cbt?.note?.[0]?.text ?? '';
    expect(note).toContain('Primary fibromyalgia syndrome (since 2019-03-01, Condition/fibro)');
    expect(note).toContain(`PHQ-9 14 on ${daysAgo(10)} (Observation/p); GAD-7 8 on ${daysAgo(12)} (Observation/g)`);
    for (const sr of created(card)) expect(r4Errors(sr)).toEqual([]);
  });

  test('no card offers group exercise when an exercise referral is open or from the last year', async () => {
    const obs = [phq9('p', 14, daysAgo(10))];
    const labels = async (serviceRequests: ServiceRequest[]) =>
      (await cards('chronic-pain-therapy-referral', { conditions: pain, observations: obs, serviceRequests }))[0]?.suggestions?.length;
    expect(await labels([referral('e', EXERCISE, daysAgo(100))])).toBe(1);
    expect(await labels([referral('e', EXERCISE, daysAgo(700), 'active')])).toBe(1);
    expect(await labels([referral('e', EXERCISE, daysAgo(400))])).toBe(2);
  });
});

describe('chronic-pain-mood-screen', () => {
  const pain = [condition('cp', 'G89.29', { onset: '2023-01-01', display: 'Other chronic pain' })];

  test('no PHQ-9 or GAD-7 at all, or none in the last 365 days: asks for them', async () => {
    expect(await chronic({ conditions: pain })).toEqual(['chronic-pain-mood-screen']);
    const [card] = await cards('chronic-pain-therapy-referral', { conditions: pain, observations: [phq9('p', 4, daysAgo(366))] });
    expect(card?.source.topic?.code).toBe('chronic-pain-mood-screen');
    expect(card?.detail).toContain(`The last one is PHQ-9 4 on ${daysAgo(366)} (Observation/p), 366 days ago.`);
  });

  test('a PHQ-9 or GAD-7 364 days old: no card', async () => {
    expect(await chronic({ conditions: pain, observations: [gad7('g', 3, daysAgo(364))] })).toEqual([]);
  });
});
