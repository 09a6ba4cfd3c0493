/**
 * Checks on card templates beyond their JSON shape: shared snippets, the list of links, facts in
 * their conditions, list placeholders. Each problem names the file, the rule and the field.
 */
import { isListVariable, placeholdersIn } from './card-variables.js';
import { conditionLeaves } from './conditions.js';
import type { Problem } from './problems.js';
import { LINK_PUBLISHERS, type CardTemplate, type LinksFile, type SnippetFile } from './schemas.js';

/** The card with each {"include": id} replaced by the snippet's lines. */
export function expandIncludes(
  file: string,
  card: CardTemplate,
  snippets: ReadonlyMap<string, SnippetFile>,
): { card: CardTemplate; problems: Problem[] } {
  const problems: Problem[] = [];
  const detail = card.detail.flatMap((line, i) => {
    if (typeof line !== 'object' || !('include' in line)) return [line];
    const snippet = snippets.get(line.include);
    if (snippet) return snippet.lines;
    problems.push({
      file,
      rule: card.rule,
      path: `detail[${i}].include`,
      message:
        `no snippet "${line.include}" in cards/snippets/ (known: ` +
        `${[...snippets.keys()].join(', ') || 'none'}): fix the id or add cards/snippets/${line.include}.json`,
    });
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
      problems.push({
        file,
        path: `links[${i}].url`,
        message: `${l.url} is not on ${l.publisher}'s own site (${hosts.join(', ')}): link to the publisher's canonical page`,
      });
    }
    const first = seen.get(l.url);
    if (first !== undefined)
      problems.push({ file, path: `links[${i}].url`, message: `${l.url} is listed twice (also links[${first}]): remove one` });
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
    .map(([path, url]) => ({
      file,
      rule: card.rule,
      path,
      message: `${url} is not in cards/links.json: add it there with its publisher, title and lastChecked date, or use a listed address`,
    }));
}

/** Text inside a "forEach": "order" action is filled once per order, so it may name the order in a patient-scoped card. */
export function orderPlaceholders(card: CardTemplate): string[] {
  const outside = {
    ...card,
    $schema: undefined,
    suggestions: card.suggestions?.map((s) => ({
      ...s,
      actions: s.actions.filter((a) => !(a.type === 'delete' && a.forEach === 'order')),
    })),
  };
  return [...new Set(placeholdersIn(JSON.stringify(outside)).filter((n) => n.startsWith('order.')))];
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
    for (const { leaf } of conditionLeaves<{ fact?: unknown }>(conditions)) {
      if (typeof leaf.fact === 'string' && leaf.fact && !factNames.includes(leaf.fact)) {
        problems.push({ file, rule: card.rule, path, message: `unknown fact "${leaf.fact}"; known facts: ${factNames.join(', ')}` });
      }
    }
  }
  walk({ ...card, $schema: undefined }, '', (text, path) => {
    const lists = placeholdersIn(text).filter(isListVariable);
    if (lists.length === 0) return;
    const whole = lists.length === 1 && /^\{\{\s*[A-Za-z0-9_.]+\s*\}\}$/.test(text);
    if (!whole || !/^suggestions\[\d+\]\.actions\[\d+\]\.resource\./.test(path)) {
      problems.push({
        file,
        rule: card.rule,
        path,
        message:
          `{{${lists[0]}}} is a list of references: use it as the whole value of a field inside a suggested ` +
          `resource, e.g. "supportingInfo": "{{${lists[0]}}}"`,
      });
    }
  });
  return problems;
}
