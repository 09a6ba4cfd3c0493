/** Card text is said to patients and read by them: plain, kind words, never labels that stigmatise. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardsDir } from '../../src/paths.js';

const cards = readdirSync(cardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, text: readFileSync(join(cardsDir, f), 'utf8') }));

const STIGMATISING: [RegExp, string][] = [
  [/drug[- ]?seek/i, 'drug seeker'],
  [/non-?complian/i, 'non-compliant'],
  [/\babus(e|er|ers|ing)\b/i, '"abuse" as a label'],
  [/\baddicts?\b/i, 'addict'],
  [/malinger/i, 'malingering'],
  [/attention[- ]seek/i, 'attention seeking'],
  [/frequent flyer/i, 'frequent flyer'],
  [/hypochondria/i, 'hypochondriac'],
  [/\bcomplain(s|ing|ed)? of\b/i, '"complains of"'],
  [/\bsuffer(s|ing|er|ers)?\b/i, '"sufferer"'],
  [/\bfail(ed|s)? (treatment|therapy|to comply)\b/i, '"failed treatment" (the treatment failed, not the person)'],
];

describe.each(cards.map((c) => [c.file, c.text] as const))('%s', (_file, text) => {
  test.each(STIGMATISING.map(([re, label]) => [label, re] as const))('does not say %s', (_label, re) => {
    expect(text.match(re)?.[0]).toBeUndefined();
  });
});

test('the talking therapy card says what telephone CBT is, why it helps with widespread pain, and what comes next', () => {
  const text = cards.find((c) => c.file === 'chronic-pain-therapy-referral.json')?.text ?? '';
  expect(text).toMatch(/Telephone cognitive behavioural therapy \(CBT\) is a talking therapy over the phone/);
  expect(text).toMatch(/Why it helps people with widespread pain/);
  expect(text).toMatch(/What the patient can expect next/);
});

test("the early fast-track card says many people improve within the rule's early window and offers both paths", () => {
  const card = JSON.parse(cards.find((c) => c.file === 'sciatica-fast-track-early.json')?.text ?? '{}') as {
    detail: string[];
    suggestions: { actions: unknown[] }[];
  };
  expect(card.detail.join('\n')).toMatch(/many people with sciatica get much better within \{\{rule\.params\.earlyDays\}\}/);
  expect(card.suggestions.map((s) => s.actions.length)).toEqual([1, 2]);
});
