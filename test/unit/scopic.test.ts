import { dayOf } from '../../src/facts/dates.js';
import { scopicGroup, scopicItemValues } from '../../src/facts/scopic.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { finding, FINDING, scopicItems } from '../support/care-builders.js';
import { daysAgo, NOW } from '../support/fhir-builders.js';

const def = loadKnowledge({ rulesDir, cardsDir }).instruments.scopic;
const today = dayOf(NOW);
const fromDay = today - 30;

const items = (positive: number, negative: number) => [
  ...Array.from({ length: positive }, () => ({ positive: true })),
  ...Array.from({ length: negative }, () => ({ positive: false })),
];

describe('scopicGroup (rules/instruments.json)', () => {
  test('low risk is group 1 whatever the items, even none', () => {
    expect(scopicGroup('low', items(4, 0), def)).toBe(1);
    expect(scopicGroup('low', [], def)).toBe(1);
  });

  test.each([
    [4, 0, 3],
    [3, 1, 2],
    [3, 0, undefined],
    [0, 1, 2],
    [2, 0, undefined],
    [0, 0, undefined],
  ] as const)('medium risk, %i positive and %i negative items: group %s', (p, n, group) => {
    expect(scopicGroup('medium', items(p, n), def)).toBe(group);
  });

  test.each([
    [3, 0, 3],
    [3, 1, 3],
    [4, 0, 3],
    [2, 2, 2],
    [2, 1, undefined],
    [2, 0, undefined],
    [1, 2, 2],
    [0, 1, undefined],
  ] as const)('high risk, %i positive and %i negative items: group %s', (p, n, group) => {
    expect(scopicGroup('high', items(p, n), def)).toBe(group);
  });
});

describe('scopicItemValues', () => {
  const values = (...obs: Parameters<typeof scopicItemValues>[0]) => scopicItemValues(obs, def, FINDING, fromDay, today);

  test('leg pain and interference are positive above 6', () => {
    const read = values(finding('l6', 'leg-pain-nrs', 6, daysAgo(1)), finding('i7', 'activity-interference-nrs', 7, daysAgo(1)));
    expect(read.map((i) => [i.code, i.value, i.positive])).toEqual([
      ['leg-pain-nrs', 6, false],
      ['activity-interference-nrs', 7, true],
    ]);
  });

  test('pain below the knee and sensory deficit are positive when true', () => {
    const read = values(...scopicItems('s', daysAgo(1), { belowKnee: true, sensory: false }));
    expect(read.map((i) => [i.code, i.positive])).toEqual([
      ['pain-below-knee', true],
      ['leg-sensory-deficit', false],
    ]);
  });

  test('the newest value on or after the episode start is used; older ones and impossible values are not', () => {
    const read = values(
      finding('before', 'leg-pain-nrs', 9, daysAgo(31)),
      finding('old', 'leg-pain-nrs', 8, daysAgo(20)),
      finding('new', 'leg-pain-nrs', 3, daysAgo(2)),
      finding('impossible', 'leg-pain-nrs', 11, daysAgo(1)),
      finding('wrong-type', 'pain-below-knee', 1, daysAgo(1)),
    );
    expect(read).toEqual([
      {
        code: 'leg-pain-nrs',
        display: 'Current leg pain (0 to 10)',
        value: 3,
        positive: false,
        evidence: { reference: 'Observation/new', display: 'Current leg pain (0 to 10)', date: daysAgo(2) },
      },
    ]);
  });

  test('an item recorded on the episode start day counts', () => {
    expect(values(finding('l', 'leg-pain-nrs', 8, daysAgo(30)))).toHaveLength(1);
  });
});
