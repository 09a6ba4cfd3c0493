/**
 * Checks the loader runs on rules/instruments.json and on card templates beyond their JSON shape,
 * each problem naming the file, the rule and the field.
 */
import { isListVariable, placeholdersIn } from '../cards/variables.js';
import type { Problem } from './problems.js';
import type { CardTemplate, InstrumentsFile } from './schemas.js';

export function checkInstruments(file: string, instruments: InstrumentsFile): Problem[] {
  const problems: Problem[] = [];
  const codes = new Map<string, string>();
  const claim = (code: string, path: string): void => {
    const owner = codes.get(code);
    if (owner) problems.push({ file, path, message: `code "${code}" is already used at ${owner}; each code in ${instruments.findingSystem.url} must mean one thing` });
    else codes.set(code, path);
  };
  claim(instruments.startBack.psychosocialCode.code, 'startBack.psychosocialCode.code');
  const linkIds = new Set<string>();
  instruments.startBack.items.forEach((item, i) => {
    if (linkIds.has(item.linkId)) problems.push({ file, path: `startBack.items[${i}].linkId`, message: `duplicate linkId "${item.linkId}"` });
    linkIds.add(item.linkId);
    if (item.type === 'choice') item.answers.forEach((a, j) => claim(a.code, `startBack.items[${i}].answers[${j}].code`));
  });
  instruments.scopic.items.forEach((item, i) => {
    claim(item.code, `scopic.items[${i}].code`);
    if (item.type === 'integer' && !(item.minValue <= item.positiveAbove && item.positiveAbove < item.maxValue)) {
      problems.push({ file, path: `scopic.items[${i}].positiveAbove`, message: `must be from minValue (${item.minValue}) to below maxValue (${item.maxValue})` });
    }
  });
  return problems;
}

function walk(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, visit);
}

/** offerWhen names known facts; list variables stand alone as a field value inside a suggested resource. */
export function checkCardTemplate(file: string, card: CardTemplate, factNames: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const guards: [string, unknown][] = [
    ...(card.suggestions ?? []).flatMap((s, i): [string, unknown][] => (s.offerWhen ? [[`suggestions[${i}].offerWhen`, s.offerWhen]] : [])),
    ...card.detail.flatMap((l, i): [string, unknown][] => (typeof l === 'object' && 'when' in l ? [[`detail[${i}].when`, l.when]] : [])),
  ];
  for (const [path, conditions] of guards) {
    for (const [, fact] of JSON.stringify(conditions).matchAll(/"fact":"([^"]*)"/g)) {
      if (fact && !factNames.includes(fact)) {
        problems.push({ file, rule: card.rule, path, message: `unknown fact "${fact}"; known facts: ${factNames.join(', ')}` });
      }
    }
  }
  walk({ ...card, $schema: undefined }, '', (text, path) => {
    const lists = placeholdersIn(text).filter(isListVariable);
    if (lists.length === 0) return;
    const whole = lists.length === 1 && /^\{\{\s*[A-Za-z0-9_.]+\s*\}\}$/.test(text);
    if (!whole || !/^suggestions\[\d+\]\.actions\[\d+\]\.resource\./.test(path)) {
      problems.push({ file, rule: card.rule, path, message: `{{${lists[0]}}} is a list of references: use it as the whole value of a field inside a suggested resource, e.g. "supportingInfo": "{{${lists[0]}}}"` });
    }
  });
  return problems;
}
