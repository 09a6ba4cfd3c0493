/**
 * Checks on card templates and rules that go beyond their JSON shape: shared snippets, the list of
 * links, red-flag urgencies and rule parameters. Each problem names the file, the rule and the field.
 */
import { paramOfPlaceholder, placeholdersIn } from '../cards/variables.js';
import type { Problem } from './problems.js';
import { paramRefs, paramText, resolveParams } from './params.js';
import { LINK_PUBLISHERS, type CardTemplate, type FindingsFile, type LinksFile, type RuleDefinition, type SnippetFile } from './schemas.js';

/** The card with each {"include": id} replaced by the snippet's lines. */
export function expandIncludes(file: string, card: CardTemplate, snippets: ReadonlyMap<string, SnippetFile>): { card: CardTemplate; problems: Problem[] } {
  const problems: Problem[] = [];
  const detail = card.detail.flatMap((line, i) => {
    if (typeof line !== 'object' || !('include' in line)) return [line];
    const snippet = snippets.get(line.include);
    if (snippet) return snippet.lines;
    problems.push({ file, rule: card.rule, path: `detail[${i}].include`, message: `no snippet "${line.include}" in cards/snippets/ (known: ${[...snippets.keys()].join(', ') || 'none'}): fix the id or add cards/snippets/${line.include}.json` });
    return [];
  });
  return { card: { ...card, detail }, problems };
}

/** The links file itself: https on the publisher's own site, each address once. */
export function checkLinksFile(file: string, links: LinksFile): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  links.links.forEach((l, i) => {
    const hosts: readonly string[] = LINK_PUBLISHERS[l.publisher];
    const host = new URL(l.url).hostname;
    if (!hosts.includes(host)) {
      problems.push({ file, path: `links[${i}].url`, message: `${l.url} is not on ${l.publisher}'s own site (${hosts.join(', ')}): link to the publisher's canonical page` });
    }
    const first = seen.get(l.url);
    if (first !== undefined) problems.push({ file, path: `links[${i}].url`, message: `${l.url} is listed twice (also links[${first}]): remove one` });
    else seen.set(l.url, i);
  });
  return problems;
}

/** Every address a card shows must be in cards/links.json, so one list says what to check. */
export function checkLinks(file: string, card: CardTemplate, links: LinksFile): Problem[] {
  const listed = new Set(links.links.map((l) => l.url));
  const used: [string, string][] = [
    ...(card.source.url ? [['source.url', card.source.url] as [string, string]] : []),
    ...(card.links ?? []).map((l, i): [string, string] => [`links[${i}].url`, l.url]),
  ];
  return used
    .filter(([, url]) => !listed.has(url))
    .map(([path, url]) => ({ file, rule: card.rule, path, message: `${url} is not in cards/links.json: add it there with its publisher, title and lastChecked date, or use a listed address` }));
}

export function checkFindings(file: string, findings: FindingsFile): Problem[] {
  const problems: Problem[] = [];
  const levels = new Set<string>();
  findings.urgencyLevels.forEach((l, i) => {
    if (levels.has(l.id)) problems.push({ file, path: `urgencyLevels[${i}].id`, message: `urgency level "${l.id}" is listed twice` });
    levels.add(l.id);
  });
  findings.redFlags.forEach((d, i) => {
    if (!levels.has(d.urgency.level)) {
      problems.push({ file, path: `redFlags[${i}].urgency.level`, message: `"${d.urgency.level}" is not an urgency level: use one of ${[...levels].join(', ')}` });
    }
  });
  return problems;
}

/** Text inside a "forEach": "order" action is filled once per order, so it may name the order in a patient-scoped card. */
export function orderPlaceholders(card: CardTemplate): string[] {
  const outside = {
    ...card,
    $schema: undefined,
    suggestions: card.suggestions?.map((s) => ({ ...s, actions: s.actions.filter((a) => !(a.type === 'delete' && a.forEach === 'order')) })),
  };
  return [...new Set(placeholdersIn(JSON.stringify(outside)).filter((n) => n.startsWith('order.')))];
}

/** The rule with its params in place: conditions hold numbers, title and description read the values. */
export function resolveRuleParams(rule: RuleDefinition): RuleDefinition {
  if (!rule.params) return rule;
  const params = rule.params;
  const words = (text: string) => text.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, name: string) => paramText(name, params) ?? whole);
  return { ...rule, title: words(rule.title), description: words(rule.description), conditions: resolveParams(rule.conditions, params) };
}

/** Params that are missing, unused, or named in text the rule cannot fill. */
export function paramProblems(file: string, at: string, rule: RuleDefinition, card: CardTemplate | undefined, cardFile: string | undefined): Problem[] {
  const problems: Problem[] = [];
  const params = rule.params ?? {};
  const known = (name: string) => Object.hasOwn(params, name);
  const defined = Object.keys(params).join(', ') || 'none';
  const refs = [
    ...paramRefs(rule.conditions, `${at}.conditions`).map((r) => ({ ...r, file })),
    ...(card?.suggestions ?? []).flatMap((s, i) => (s.offerWhen ? paramRefs(s.offerWhen, `suggestions[${i}].offerWhen`) : [])).map((r) => ({ ...r, file: cardFile ?? file })),
    ...(card?.detail ?? []).flatMap((l, i) => (typeof l === 'object' && 'when' in l ? paramRefs(l.when, `detail[${i}].when`) : [])).map((r) => ({ ...r, file: cardFile ?? file })),
  ];
  for (const r of refs) {
    if (!known(r.name)) problems.push({ file: r.file, rule: rule.id, path: r.path, message: `{"param": "${r.name}"} is not in the params of rule "${rule.id}" (${defined}): add it to the rule's "params" or fix the name` });
  }
  const usedInConditions = new Set(refs.map((r) => r.name));
  for (const name of Object.keys(params)) {
    if (!usedInConditions.has(name)) {
      problems.push({ file, rule: rule.id, path: `${at}.params.${name}`, message: `param "${name}" decides nothing: use it in a condition as {"param": "${name}"}, or remove it, so the text cannot show a number the rule does not use` });
    }
  }
  for (const [field, text] of [['title', rule.title], ['description', rule.description]] as const) {
    for (const name of placeholdersIn(text)) {
      const param = paramOfPlaceholder(name);
      if (param === undefined || param !== name.replace(/^rule\.params\./, '').replace(/\.value$/, '')) {
        problems.push({ file, rule: rule.id, path: `${at}.${field}`, message: `{{${name}}}: a rule's ${field} can only show its own params, as {{rule.params.<name>}}` });
      } else if (!known(param)) {
        problems.push({ file, rule: rule.id, path: `${at}.${field}`, message: `{{${name}}} names param "${param}", which rule "${rule.id}" does not have (${defined})` });
      }
    }
  }
  if (card) {
    for (const name of new Set(placeholdersIn(JSON.stringify({ ...card, $schema: undefined })))) {
      const param = paramOfPlaceholder(name);
      if (param !== undefined && !known(param)) {
        problems.push({ file: cardFile ?? file, rule: rule.id, path: 'placeholders', message: `{{${name}}} names param "${param}", which rule "${rule.id}" in ${file} does not have (${defined}): add it to the rule's "params"` });
      }
    }
  }
  return problems;
}
