/**
 * `backpain-cds rules`: every rule in one list, so an informatician can find a rule without opening
 * every file: its file and services, its conditions in words, its card and whether it is live or silent.
 */
import { relative } from 'node:path';
import { operatorText } from '../../explain/trace.js';
import { projectRoot } from '../../paths.js';
import type { CliIo } from '../io.js';
import { knowledgeDirs, loadForCli, type KnowledgeOptions } from '../knowledge.js';

export interface RulesOptions extends KnowledgeOptions {
  service?: string;
  json?: boolean;
}

function valueWords(value: unknown): string {
  if (value === null) return 'unknown';
  if (Array.isArray(value)) return `[${value.map(valueWords).join(', ')}]`;
  if (typeof value === 'string') return `"${value}"`;
  // Numbers and booleans read as in the file. Loading resolves every {"param": …} and refuses what it cannot, so an
  // object here is unexpected: it is shown whole.
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A condition tree as one line: all = "and", any = "either … or …" in brackets, not = "not (…)". */
export function conditionWords(node: unknown, nested = false): string {
  if (typeof node !== 'object' || node === null) return '?';
  const c = node as { all?: unknown[]; any?: unknown[]; not?: unknown; fact?: string; operator?: string; value?: unknown };
  if (c.all) {
    const text = c.all.map((x) => conditionWords(x, true)).join(' and ');
    return nested && c.all.length > 1 ? `(${text})` : text;
  }
  if (c.any) return `(${c.any.map((x) => conditionWords(x, true)).join(' or ')})`;
  if (c.not !== undefined) return `not (${conditionWords(c.not)})`;
  if (c.value === null && (c.operator === 'equal' || c.operator === 'notEqual'))
    return `${c.fact} is ${c.operator === 'equal' ? '' : 'not '}unknown`;
  return `${c.fact} ${operatorText(c.operator ?? '?')} ${valueWords(c.value)}`;
}

export interface RuleListing {
  id: string;
  title: string;
  file: string;
  services: string[];
  scope: 'order' | 'patient';
  status: 'live' | 'silent';
  when: string;
  card?: { file: string; indicator: string; summary: string };
  replaces?: string[];
}

export function rulesCommand(options: RulesOptions, io: CliIo): number {
  const knowledge = loadForCli(options);
  const { cardsDir } = knowledgeDirs(options);
  const listing: RuleListing[] = knowledge.ruleSets
    .filter((set) => !options.service || set.services.includes(options.service))
    .flatMap((set) =>
      set.rules.map((rule) => {
        const card = knowledge.cards.get(rule.id);
        return {
          id: rule.id,
          title: rule.title,
          file: set.file,
          services: [...set.services],
          scope: rule.scope,
          status: rule.mode,
          when: conditionWords(rule.conditions),
          ...(card
            ? { card: { file: relative(projectRoot, `${cardsDir}/${rule.id}.json`), indicator: card.indicator, summary: card.summary } }
            : {}),
          ...(rule.replaces?.length ? { replaces: [...rule.replaces] } : {}),
        };
      }),
    );
  if (options.json) {
    io.out(JSON.stringify({ rulesVersion: knowledge.version, rules: listing }, null, 2));
    return 0;
  }
  let file = '';
  for (const r of listing) {
    if (r.file !== file) {
      file = r.file;
      io.out(`${file}  (services: ${r.services.join(', ')})`);
    }
    io.out(`  ${r.id}  [${r.status}, ${r.scope === 'order' ? 'one card per order' : 'one card per patient'}]  ${r.title}`);
    io.out(`      when: ${r.when}`);
    io.out(`      card: ${r.card ? `${r.card.file} (${r.card.indicator}): ${r.card.summary}` : 'none'}`);
    if (r.replaces) io.out(`      replaces: ${r.replaces.join(', ')}`);
  }
  io.out('');
  const silent = listing.filter((r) => r.status === 'silent').length;
  io.out(`${listing.length} rules${silent ? `, ${silent} in silent mode` : ''}. Rules version ${knowledge.version}.`);
  return 0;
}
