/**
 * What the schema cannot say about one card template: selectionBehavior beside suggestions, the
 * care checks, and placeholders that are card variables written with double braces.
 */
import { CARD_VARIABLE_NAMES, isCardVariable, placeholdersIn } from './card-variables.js';
import { checkCardTemplate } from './card-checks.js';
import { ENGINE_FACT_NAMES } from './fact-docs.js';
import { suggestion, type Problem } from './problems.js';
import type { CardTemplate } from './schemas.js';

/** `placeOf` finds a text in the card's file, for problems that have no JSON path of their own. */
export function checkCardFile(f: string, card: CardTemplate, placeOf: (needle: string) => { line?: number; column?: number }): Problem[] {
  const problems: Problem[] = [];
  if (card.suggestions?.length && !card.selectionBehavior) {
    problems.push({
      file: f,
      rule: card.rule,
      path: 'selectionBehavior',
      message: 'cards with suggestions need selectionBehavior ("at-most-one" or "any")',
    });
  }
  const text = JSON.stringify({ ...card, $schema: undefined });
  problems.push(...checkCardTemplate(f, card, ENGINE_FACT_NAMES));
  for (const name of new Set(placeholdersIn(text))) {
    if (!isCardVariable(name)) {
      const hint = suggestion(name, CARD_VARIABLE_NAMES, (s) => `{{${s}}}`);
      problems.push({
        file: f,
        rule: card.rule,
        path: 'placeholders',
        message: `{{${name}}} is not a card variable: fix the name or remove it.${hint} (known: ${CARD_VARIABLE_NAMES.join(', ')})`,
        ...placeOf(`{{${name}}}`),
      });
    }
  }
  // {episode.days} with single braces would reach the clinician as it is written.
  for (const m of text.matchAll(/(?<!\{)\{([A-Za-z][\w.]*)\}(?!\})/g)) {
    const name = m[1] ?? '';
    if (!isCardVariable(name) && !name.includes('.')) continue;
    problems.push({
      file: f,
      rule: card.rule,
      path: 'placeholders',
      message: `{${name}} has single braces, so the card would show it as written: write {{${name}}}`,
      ...placeOf(`{${name}}`),
    });
  }
  return problems;
}
