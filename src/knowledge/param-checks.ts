/**
 * Checks on rule parameters: each {"param"} a condition names exists, each param decides something,
 * and the prose names only the rule's own params (see params.ts for what params are).
 */
import { paramOfPlaceholder, placeholdersIn } from './card-variables.js';
import type { Problem } from './problems.js';
import { paramRefs, paramText, resolveParams } from './params.js';
import type { CardTemplate, RuleDefinition } from './schemas.js';

/** The rule with its params in place: conditions hold numbers, title and description read the values. */
export function resolveRuleParams(rule: RuleDefinition): RuleDefinition {
  if (!rule.params) return rule;
  const params = rule.params;
  const words = (text: string) =>
    text.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, name: string) => paramText(name, params) ?? whole);
  return { ...rule, title: words(rule.title), description: words(rule.description), conditions: resolveParams(rule.conditions, params) };
}

/** Params that are missing, unused, or named in text the rule cannot fill. */
export function paramProblems(
  file: string,
  at: string,
  rule: RuleDefinition,
  card: CardTemplate | undefined,
  cardFile: string | undefined,
): Problem[] {
  const problems: Problem[] = [];
  const params = rule.params ?? {};
  const known = (name: string) => Object.hasOwn(params, name);
  const defined = Object.keys(params).join(', ') || 'none';
  const refs = [
    ...paramRefs(rule.conditions, `${at}.conditions`).map((r) => ({ ...r, file })),
    ...(card?.suggestions ?? [])
      .flatMap((s, i) => (s.offerWhen ? paramRefs(s.offerWhen, `suggestions[${i}].offerWhen`) : []))
      .map((r) => ({ ...r, file: cardFile ?? file })),
    ...(card?.detail ?? [])
      .flatMap((l, i) => (typeof l === 'object' && 'when' in l ? paramRefs(l.when, `detail[${i}].when`) : []))
      .map((r) => ({ ...r, file: cardFile ?? file })),
  ];
  for (const r of refs) {
    if (!known(r.name))
      problems.push({
        file: r.file,
        rule: rule.id,
        path: r.path,
        message:
          `{"param": "${r.name}"} is not in the params of rule "${rule.id}" (${defined}): add it to the rule's ` +
          `"params" or fix the name`,
      });
  }
  const usedInConditions = new Set(refs.map((r) => r.name));
  for (const name of Object.keys(params)) {
    if (!usedInConditions.has(name)) {
      problems.push({
        file,
        rule: rule.id,
        path: `${at}.params.${name}`,
        message:
          `param "${name}" decides nothing: use it in a condition as {"param": "${name}"}, or remove it, so ` +
          `the text cannot show a number the rule does not use`,
      });
    }
  }
  for (const [field, text] of [
    ['title', rule.title],
    ['description', rule.description],
  ] as const) {
    for (const name of placeholdersIn(text)) {
      const param = paramOfPlaceholder(name);
      if (param === undefined || param !== name.replace(/^rule\.params\./, '').replace(/\.value$/, '')) {
        problems.push({
          file,
          rule: rule.id,
          path: `${at}.${field}`,
          message: `{{${name}}}: a rule's ${field} can only show its own params, as {{rule.params.<name>}}`,
        });
      } else if (!known(param)) {
        problems.push({
          file,
          rule: rule.id,
          path: `${at}.${field}`,
          message: `{{${name}}} names param "${param}", which rule "${rule.id}" does not have (${defined})`,
        });
      }
    }
  }
  if (card) {
    for (const name of new Set(placeholdersIn(JSON.stringify({ ...card, $schema: undefined })))) {
      const param = paramOfPlaceholder(name);
      if (param !== undefined && !known(param)) {
        problems.push({
          file: cardFile ?? file,
          rule: rule.id,
          path: 'placeholders',
          message:
            `{{${name}}} names param "${param}", which rule "${rule.id}" in ${file} does not have (${defined}): ` +
            `add it to the rule's "params"`,
        });
      }
    }
  }
  return problems;
}
