/**
 * What the schema cannot say about a rule file: services that exist, unique rule ids, a card for
 * each rule, known facts compared the right way, `replaces` within the file, a scope its services
 * can serve, and card placeholders the rule's conditions guard.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { placeholdersIn } from './card-variables.js';
import { SERVICES } from '../hooks/services.js';
import { orderPlaceholders } from './card-checks.js';
import { conditionLeaves } from './conditions.js';
import { ENGINE_FACT_NAMES } from './fact-docs.js';
import { unguardedPlaceholders } from './placeholder-guards.js';
import { suggestion, type Problem } from './problems.js';
import type { CardTemplate, ConditionNode, RuleFile } from './schemas.js';

const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

export interface RuleFileContext {
  /** The shown path of the rule file. */
  file: string;
  cardsDir: string;
  cards: ReadonlyMap<string, CardTemplate>;
  /** The shown path of each card by rule id. */
  cardFiles: ReadonlyMap<string, string>;
}

/** Problems of one rule file whose params are resolved already. */
export function checkRuleFile(content: RuleFile, { file: f, cardsDir, cards, cardFiles }: RuleFileContext): Problem[] {
  const problems: Problem[] = [];
  content.services.forEach((id, i) => {
    if (!SERVICES.some((s) => s.id === id)) {
      problems.push({
        file: f,
        path: `services[${i}]`,
        message: `"${id}" is not a CDS service of this product: fix the id (services: ${SERVICES.map((s) => s.id).join(', ')})`,
      });
    }
  });
  // An order-scoped rule needs a service that looks at orders; otherwise its card has no order to name.
  const patientOnly = content.services.every((id) => SERVICES.find((s) => s.id === id)?.evaluates === 'patient');
  content.rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (content.rules.findIndex((r) => r.id === rule.id) !== i)
      problems.push({
        file: f,
        rule: rule.id,
        path: `${at}.id`,
        message: `rule id "${rule.id}" is used twice in this file: rename one of them`,
      });
    // A card file that is there but broken is reported already; "add it" would mislead.
    if (!cards.has(rule.id) && !existsSync(join(cardsDir, `${rule.id}.json`))) {
      problems.push({ file: f, rule: rule.id, path: `${at}.id`, message: `no card template: add cards/${rule.id}.json` });
    }
    let unknownFact = false;
    for (const {
      leaf: { fact, operator, value },
      path,
    } of conditionLeaves<Extract<ConditionNode, { fact: string }>>(rule.conditions, `${at}.conditions`)) {
      // "42" in quotes never compares as a number: the rule would silently never fire.
      if (NUMERIC_OPERATORS.has(String(operator)) && typeof value !== 'number') {
        problems.push({
          file: f,
          rule: rule.id,
          path: `${path}.value`,
          message:
            `${String(operator)} compares numbers, and the value is ${JSON.stringify(value)}: write a number ` + `without quotes, e.g. 42`,
        });
      }
      if (!ENGINE_FACT_NAMES.includes(fact)) {
        unknownFact = true;
        problems.push({
          file: f,
          rule: rule.id,
          path: `${path}.fact`,
          message:
            `unknown fact "${fact}": fix the name.${suggestion(fact, ENGINE_FACT_NAMES)} (known facts: ` +
            `${ENGINE_FACT_NAMES.join(', ')})`,
        });
      }
    }
    (rule.replaces ?? []).forEach((r, j) => {
      if (r !== '*' && !content.rules.some((other) => other.id === r)) {
        problems.push({
          file: f,
          rule: rule.id,
          path: `${at}.replaces[${j}]`,
          message: `replaces "${r}", which is not a rule in this file: fix the id or remove it`,
        });
      }
    });
    if (rule.scope === 'order' && patientOnly && content.services.length) {
      problems.push({
        file: f,
        rule: rule.id,
        path: `${at}.scope`,
        message:
          `scope "order" needs a service that looks at orders, and ${content.services.join(', ')} look at the ` + `patient: use "patient"`,
      });
    }
    const card = cards.get(rule.id);
    const words = card ? placeholdersIn(JSON.stringify({ ...card, $schema: undefined })) : [];
    // With a misspelt fact the guard is misspelt too: one problem, not two.
    for (const message of unknownFact ? [] : unguardedPlaceholders(rule, words)) {
      problems.push({ file: cardFiles.get(rule.id) ?? f, rule: rule.id, path: 'placeholders', message });
    }
    const orderWords = card ? orderPlaceholders(card) : [];
    if (orderWords.length && (rule.scope === 'patient' || patientOnly)) {
      problems.push({
        file: cardFiles.get(rule.id) ?? f,
        rule: rule.id,
        path: 'placeholders',
        message:
          `${orderWords.map((n) => `{{${n}}}`).join(', ')} name an order, but rule "${rule.id}" gives one card ` +
          `per patient, not per order: remove them, or make the rule's scope "order"`,
      });
    }
  });
  return problems;
}
