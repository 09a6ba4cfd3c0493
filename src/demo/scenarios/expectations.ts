/**
 * What a test may assert about one run of a service's rules, and the check of a run against it:
 * shared by the scenario files (per service) and the rule tests of `backpain-cds test`.
 */
import { z } from 'zod';
import type { Card } from '../../cards/types.js';

const ruleIds = z.array(z.string().min(1));

/** What a test may assert about one run of a service's rules. Shared by rule tests and scenarios. */
export const RuleExpectationSchema = z
  .strictObject({
    fired: ruleIds
      .meta({ description: 'Rule ids whose conditions must hold (before precedence: a rule replaced by another still fired).' })
      .optional(),
    notFired: ruleIds.meta({ description: 'Rule ids whose conditions must not hold.' }).optional(),
    cards: ruleIds
      .meta({
        description: 'The rule ids of the cards returned to the EHR after precedence and silent mode, in any order; [] means no card.',
      })
      .optional(),
    cardContains: z
      .array(z.string().min(1))
      .meta({
        description:
          'Text each of which must appear in a returned card (summary, detail, suggestion or link labels). ' +
          'In a rule test the card is read as written in cards/<rule>.json, {{placeholders}} unfilled.',
      })
      .optional(),
  })
  .refine((e) => e.fired || e.notFired || e.cards || e.cardContains, {
    message: 'expect at least one of "fired", "notFired", "cards", "cardContains"',
  });
export type RuleExpectation = z.infer<typeof RuleExpectationSchema>;

/** The words of a card a test may look for. */
export function cardText(card: Card): string {
  return [card.summary, card.detail ?? '', ...(card.suggestions ?? []).map((s) => s.label), ...(card.links ?? []).map((l) => l.label)].join(
    '\n',
  );
}

/** Every way the run differs from the expectation, in words; empty when it passes. */
export function checkExpectation(
  expect: RuleExpectation,
  got: { fired: readonly string[]; cards: readonly string[]; texts: readonly string[] },
): string[] {
  const problems: string[] = [];
  for (const id of expect.fired ?? []) if (!got.fired.includes(id)) problems.push(`${id} did not fire`);
  for (const id of expect.notFired ?? []) if (got.fired.includes(id)) problems.push(`${id} fired`);
  if (expect.cards && JSON.stringify([...expect.cards].sort()) !== JSON.stringify([...got.cards].sort())) {
    problems.push(
      `cards ${got.cards.length ? got.cards.join(', ') : '(none)'}, expected ${expect.cards.length ? expect.cards.join(', ') : '(none)'}`,
    );
  }
  for (const text of expect.cardContains ?? []) {
    if (!got.texts.some((t) => t.includes(text))) problems.push(`no card says "${text}"`);
  }
  return problems;
}
