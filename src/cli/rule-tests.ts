/**
 * Rule-level tests: facts given directly, no FHIR record. An informatician checks a threshold or a
 * precedence in a few lines ("episodeDays 41 fires imaging-defer, 42 does not") without building a
 * patient. They run beside the record-level scenarios in `backpain-cds test`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkExpectation, RuleExpectationSchema } from '../demo/scenarios/expectations.js';
import { ENGINE_FACT_NAMES } from '../knowledge/fact-docs.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { parseFileContent } from '../knowledge/messages.js';
import { SERVICE_ID_MARK, type CardTemplate } from '../knowledge/schemas.js';
import { firedRuleIds, splitByMode, type Candidate, type EngineFacts } from '../rules/engine.js';

const factValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const RuleTestSchema = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lower-case words joined by hyphens, like the file name'),
  description: z.string().min(1),
  service: z
    .string()
    .min(1)
    .meta({ [SERVICE_ID_MARK]: true, description: 'The CDS service id (GET /cds-services) whose rule file runs.' }),
  facts: z.record(z.string(), factValue).meta({
    description:
      'Fact values as the rules see them; a fact left out is unknown (null). ' +
      'Names as in the rule files (`npx backpain-cds rules` lists them).',
    propertyNames: { enum: [...ENGINE_FACT_NAMES] },
  }),
  expect: RuleExpectationSchema,
});
export type RuleTest = z.infer<typeof RuleTestSchema>;

/** A file is a rule test when it gives facts rather than a patient. */
export function isRuleTestJson(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'facts' in json && !('patient' in json);
}

export function readRuleTest(file: string, json: unknown = JSON.parse(readFileSync(file, 'utf8'))): RuleTest {
  return parseFileContent(RuleTestSchema, json, file);
}

export function templateText(template: CardTemplate): string {
  return [
    template.summary,
    // Plain lines only: conditional ({when, lines}) and shared ({include}) blocks were never searched (they joined as
    // "[object Object]"); whether cardContains should search them is an open question for the rule-test format.
    ...template.detail.filter((d): d is string => typeof d === 'string'),
    ...(template.suggestions ?? []).map((s) => s.label),
    ...(template.links ?? []).map((l) => l.label),
  ].join('\n');
}

export interface RuleTestOutcome {
  fired: string[];
  cards: string[];
  problems: string[];
}

/** Runs the service's rules on the given facts; an unknown fact or rule id is a problem, not a pass. */
export async function runRuleTest(knowledge: KnowledgeBase, test: RuleTest): Promise<RuleTestOutcome> {
  const ruleSet = knowledge.ruleSetFor(test.service);
  if (!ruleSet) throw new Error(`no rule file serves "${test.service}"`);
  const unknownFacts = Object.keys(test.facts).filter((f) => !ENGINE_FACT_NAMES.includes(f));
  if (unknownFacts.length)
    throw new Error(
      `unknown fact${unknownFacts.length > 1 ? 's' : ''} ${unknownFacts.map((f) => `"${f}"`).join(', ')} ` +
        `(known facts: ${ENGINE_FACT_NAMES.join(', ')})`,
    );
  const known = new Set(ruleSet.rules.map((r) => r.id));
  const named = [...(test.expect.fired ?? []), ...(test.expect.notFired ?? []), ...(test.expect.cards ?? [])];
  const strangers = [...new Set(named.filter((id) => !known.has(id)))];
  if (strangers.length)
    throw new Error(
      `${strangers.map((id) => `"${id}"`).join(', ')} is not a rule of ${ruleSet.file} (its rules: ${[...known].join(', ')})`,
    );

  const facts: EngineFacts = Object.fromEntries(ENGINE_FACT_NAMES.map((name) => [name, test.facts[name] ?? null]));
  const firedIds = await firedRuleIds(ruleSet, facts);
  // One imaginary order stands for "an order in scope", so order-scoped precedence applies as in a request.
  const candidates: Candidate[] = ruleSet.rules
    .filter((r) => firedIds.includes(r.id))
    .map((rule) => (rule.scope === 'order' ? { rule, orderReference: 'ServiceRequest/test-order' } : { rule }));
  const { live } = splitByMode(candidates);
  const cards = live.map((c) => c.rule.id);
  const texts = cards.map((id) => {
    const template = knowledge.cards.get(id);
    return template ? templateText(template) : '';
  });
  const fired = candidates.map((c) => c.rule.id);
  return { fired, cards, problems: checkExpectation(test.expect, { fired, cards, texts }) };
}
