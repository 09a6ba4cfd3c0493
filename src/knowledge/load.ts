/**
 * Loads the files informaticians edit (rules/, rules/valuesets/, cards/) into one immutable
 * knowledge base, or fails with every problem found, each naming the file, the rule and the field.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { z } from 'zod';
import { CARD_VARIABLE_NAMES, isCardVariable, placeholdersIn } from '../cards/variables.js';
import { SERVICES } from '../hooks/services.js';
import { compileRuleSet, type RuleSet } from '../rules/engine.js';
import {
  CardTemplateSchema,
  FindingsFileSchema,
  InstrumentsFileSchema,
  LinksFileSchema,
  RuleFileSchema,
  SnippetFileSchema,
  ValueSetFileSchema,
  type CardTemplate,
  type ConditionNode,
  type FindingsFile,
  type InstrumentsFile,
  type LinksFile,
  type RuleDefinition,
  type SnippetFile,
  type ValueSetFile,
} from './schemas.js';
import { checkCardTemplate, checkLinks, checkLinksFile, expandIncludes, orderPlaceholders } from './card-checks.js';
import { checkFindings, checkInstruments } from './definition-checks.js';
import { paramProblems, resolveRuleParams } from './param-checks.js';
import { conditionLeaves } from './conditions.js';
import { ENGINE_FACT_NAMES, FACT_VALUE_SETS } from './fact-docs.js';
import { explainIssues, formatPath, type Problem } from './messages.js';
import { didYouMean, jsonSyntaxError, positionOfPath } from './positions.js';
import { unguardedPlaceholders } from './placeholder-guards.js';
import { canonicalSystem, isIcd10 } from './code-systems.js';
import { VALUE_SET_URL_PREFIX } from './fhir-artifacts.js';
import { compileValueSet, icdFamilies, normaliseCode, type ValueSet } from './valuesets.js';

export type { Problem };

export class KnowledgeError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'KnowledgeError';
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}${p.rule ? ` (rule "${p.rule}")` : ''}: ${p.path || '(file)'}: ${p.message}`;
}

/** A "did you mean" tail for a name that is not known, or '' when nothing is close. */
export function suggestion(name: string, known: readonly string[], wrap: (s: string) => string = (s) => `"${s}"`): string {
  const near = didYouMean(name, known);
  return near ? ` Did you mean ${wrap(near)}?` : '';
}

/** Adds line and column to each problem whose file text is known and whose path can be found in it. */
export function placeProblems(problems: Problem[], sources: ReadonlyMap<string, string>): Problem[] {
  return problems.map((p) => {
    if (p.line !== undefined) return p;
    const text = sources.get(p.file);
    const at = text !== undefined ? positionOfPath(text, p.path) : undefined;
    return at ? { ...p, ...at } : p;
  });
}

export interface KnowledgeBase {
  /** Content hash of every file loaded: the live rule set's version. */
  version: string;
  loadedAt: string;
  valueSets: ReadonlyMap<string, ValueSet>;
  valueSet(id: string): ValueSet;
  findings: FindingsFile;
  /** STarT Back and SCOPiC: items, answer codes, scoring and cut-offs (rules/instruments.json). */
  instruments: InstrumentsFile;
  ruleSets: readonly RuleSet[];
  ruleSetFor(serviceId: string): RuleSet | undefined;
  /** Card templates with their snippets included. */
  cards: ReadonlyMap<string, CardTemplate>;
  /** cards/snippets/: text several cards share (the safety-net advice). */
  snippets: ReadonlyMap<string, SnippetFile>;
  /** cards/links.json: every link a card may carry, with its publisher and when it was last checked. */
  links: LinksFile;
}

/** Files in cards/ that are not card templates. */
export const LINKS_FILE = 'links.json';
export const SNIPPETS_DIR = 'snippets';

export interface KnowledgeDirs {
  rulesDir: string;
  cardsDir: string;
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

/**
 * What the schema cannot say about a value set: the same code twice (ICD-10 with and without the
 * dot), an explicit ICD-10 code its own is-a filter already matches, and ICD-10 filters the service
 * cannot read as code prefixes (they would silently match nothing).
 */
export function valueSetProblems(file: string, vs: ValueSetFile): Problem[] {
  const problems: Problem[] = [];
  const keyOf = (system: string, code: string): string => {
    const canonical = canonicalSystem(system) ?? system;
    return `${canonical}|${normaliseCode(canonical, code)}`;
  };
  const families = vs.compose.include.flatMap((set, i) => icdFamilies(set).map((f) => ({ ...f, i, system: canonicalSystem(set.system) })));
  const seen = new Map<string, string>();
  vs.compose.include.forEach((set, i) => {
    const system = canonicalSystem(set.system) ?? set.system;
    (set.concept ?? []).forEach((c, j) => {
      const at = `compose.include[${i}].concept[${j}]`;
      const key = keyOf(system, c.code);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ file, path: at, message: `duplicate code ${set.system}|${c.code} (also ${first}): remove one of them` });
        return;
      }
      seen.set(key, at);
      const code = normaliseCode(system, c.code);
      const cover = families.find((f) => f.system === system && code.startsWith(f.prefix) && code !== f.prefix);
      if (cover) problems.push({ file, path: at, message: `${c.code} is already matched by the is-a filter compose.include[${cover.i}] (${cover.value}): remove this entry` });
    });
  });
  for (const [part, sets] of [['include', vs.compose.include], ['exclude', vs.compose.exclude ?? []]] as const) {
    sets.forEach((set, i) => {
      if (!isIcd10(canonicalSystem(set.system) ?? '')) return;
      (set.filter ?? []).forEach((f, j) => {
        if (f.property !== 'concept' || (f.op !== 'is-a' && f.op !== 'descendent-of')) {
          problems.push({ file, path: `compose.${part}[${i}].filter[${j}]`, message: `ICD-10 filters are read as code prefixes, so only {"property": "concept", "op": "is-a" or "descendent-of"} is possible: rewrite it, or list the codes in "concept"` });
        }
      });
    });
  }
  const listed = new Map<string, number>();
  (vs.expansion.contains ?? []).forEach((c, i) => {
    const key = keyOf(c.system, c.code);
    const first = listed.get(key);
    if (first !== undefined) problems.push({ file, path: `expansion.contains[${i}]`, message: `duplicate code ${c.system}|${c.code} (also expansion.contains[${first}]): remove one of them` });
    else listed.set(key, i);
  });
  if (vs.url !== `${VALUE_SET_URL_PREFIX}${vs.id}`) problems.push({ file, path: 'url', message: `must be "${VALUE_SET_URL_PREFIX}${vs.id}" (the id after the prefix)` });
  return problems;
}

export function loadKnowledge(dirs: KnowledgeDirs): KnowledgeBase {
  const problems: Problem[] = [];
  /** The place of the first occurrence of a text in a file (for placeholders, which have no JSON path of their own). */
  const placeOf = (file: string, needle: string): { line?: number; column?: number } => {
    const text = sources.get(file);
    const at = text?.indexOf(needle) ?? -1;
    if (text === undefined || at < 0) return {};
    const before = text.slice(0, at);
    return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
  };
  const hash = createHash('sha256');
  // Paths as the informatician sees them: from the folder that holds rules/ (and, usually, cards/).
  const show = (file: string): string => relative(dirname(dirs.rulesDir), file) || file;
  /** File text by shown name, to place problems; and the files that did not load, so their consequences are not reported as causes. */
  const sources = new Map<string, string>();
  const broken = new Set<string>();

  function parse<T>(file: string, schema: z.ZodType<T>): T | undefined {
    let raw: string;
    let json: unknown;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      broken.add(show(file));
      problems.push({ file: show(file), path: '', message: `not readable: ${(err as Error).message}` });
      return undefined;
    }
    hash.update(show(file)).update('\0').update(raw).update('\0');
    sources.set(show(file), raw);
    try {
      json = JSON.parse(raw);
    } catch (err) {
      broken.add(show(file));
      const syntax = jsonSyntaxError(raw);
      problems.push({ file: show(file), path: '', message: syntax?.message ?? `not valid JSON: ${(err as Error).message}`, ...(syntax ? { line: syntax.line, column: syntax.column } : {}) });
      return undefined;
    }
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    broken.add(show(file));
    const rules = (json as { rules?: { id?: unknown }[] }).rules;
    for (const issue of explainIssues(result.error.issues, json)) {
      const ruleIndex = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
      // A rule file names the rule by its index; a card names it in "rule".
      const ruleId = ruleIndex !== undefined ? rules?.[ruleIndex]?.id : (json as { rule?: unknown }).rule;
      problems.push({
        file: show(file),
        ...(typeof ruleId === 'string' ? { rule: ruleId } : {}),
        path: formatPath(issue.path),
        message: issue.message,
      });
    }
    return undefined;
  }

  // Value sets
  const valueSets = new Map<string, ValueSet>();
  for (const file of jsonFiles(join(dirs.rulesDir, 'valuesets'))) {
    const vs = parse(file, ValueSetFileSchema);
    if (!vs) continue;
    const expected = file.split('/').pop()?.replace(/\.json$/, '');
    if (vs.id !== expected) problems.push({ file: show(file), path: 'id', message: `id "${vs.id}" must equal the file name "${expected}": change the id or rename the file` });
    problems.push(...valueSetProblems(show(file), vs));
    valueSets.set(vs.id, compileValueSet(vs));
  }
  const needValueSet = (file: string, path: string, id: string, rule?: string): void => {
    // A value set file that is there but broken is reported already: "does not exist" would be wrong.
    if (!valueSets.has(id) && !broken.has(show(join(dirs.rulesDir, 'valuesets', `${id}.json`)))) {
      const hint = suggestion(id, [...valueSets.keys()]);
      problems.push({ file, ...(rule ? { rule } : {}), path, message: `value set "${id}" does not exist in rules/valuesets/ (add rules/valuesets/${id}.json or fix the name).${hint}` });
    }
  };
  for (const id of Object.values(FACT_VALUE_SETS)) needValueSet('rules/valuesets', id, id);

  // STarT Back and SCOPiC instruments
  const instrumentsPath = join(dirs.rulesDir, 'instruments.json');
  const instruments = parse(instrumentsPath, InstrumentsFileSchema);
  if (instruments) {
    needValueSet(show(instrumentsPath), 'startBack.totalValueSet', instruments.startBack.totalValueSet);
    problems.push(...checkInstruments(show(instrumentsPath), instruments));
  }

  // Shared card text (cards/snippets/) and the list of links (cards/links.json)
  const snippets = new Map<string, SnippetFile>();
  for (const file of jsonFiles(join(dirs.cardsDir, SNIPPETS_DIR))) {
    const snippet = parse(file, SnippetFileSchema);
    if (!snippet) continue;
    const expected = basename(file).replace(/\.json$/, '');
    if (snippet.id !== expected) problems.push({ file: show(file), path: 'id', message: `id "${snippet.id}" must equal the file name "${expected}": change the id or rename the file` });
    else snippets.set(snippet.id, snippet);
  }
  const linksPath = join(dirs.cardsDir, LINKS_FILE);
  const links = existsSync(linksPath) ? parse(linksPath, LinksFileSchema) : undefined;
  if (links) problems.push(...checkLinksFile(show(linksPath), links));
  if (!existsSync(linksPath)) problems.push({ file: show(linksPath), path: '', message: `missing: add cards/${LINKS_FILE}, the list of every link the cards carry (url, publisher, title, lastChecked)` });

  // Red flags and cauda equina
  const findingsPath = join(dirs.rulesDir, 'findings.json');
  const findings = parse(findingsPath, FindingsFileSchema);
  if (findings) {
    const f = show(findingsPath);
    const defs = [...findings.redFlags.map((d, i) => [d, `redFlags[${i}]`] as const), [findings.caudaEquina, 'caudaEquina'] as const, [findings.priorLumbarImaging, 'priorLumbarImaging'] as const];
    defs.forEach(([def, at]) => {
      def.sources.forEach((source, j) => {
        needValueSet(f, `${at}.sources[${j}].valueSet`, source.valueSet);
        if (source.resource === 'ImagingStudy' && source.bodySite) needValueSet(f, `${at}.sources[${j}].bodySite.valueSet`, source.bodySite.valueSet);
      });
      if (def.medication) needValueSet(f, `${at}.medication.valueSet`, def.medication.valueSet);
      if (defs.findIndex(([d]) => d.id === def.id) !== defs.findIndex(([d]) => d === def)) {
        problems.push({ file: f, path: `${at}.id`, message: `finding id "${def.id}" is used twice: each finding needs its own id` });
      }
    });
    problems.push(...checkFindings(f, findings));
  }

  // Card templates
  const cards = new Map<string, CardTemplate>();
  const cardFiles = new Map<string, string>();
  for (const file of jsonFiles(dirs.cardsDir)) {
    if (basename(file) === LINKS_FILE) continue;
    const parsed = parse(file, CardTemplateSchema);
    if (!parsed) continue;
    const f = show(file);
    const expanded = expandIncludes(f, parsed, snippets);
    problems.push(...expanded.problems);
    const card = expanded.card;
    if (links) problems.push(...checkLinks(f, card, links));
    if (cards.has(card.rule)) problems.push({ file: f, rule: card.rule, path: 'rule', message: `${cardFiles.get(card.rule)} is already the card for this rule: delete one of the two` });
    else if (basename(file) !== `${card.rule}.json`) problems.push({ file: f, rule: card.rule, path: 'rule', message: `the card for rule "${card.rule}" must be cards/${card.rule}.json: rename the file or fix "rule"` });
    if (card.suggestions?.length && !card.selectionBehavior) {
      problems.push({ file: f, rule: card.rule, path: 'selectionBehavior', message: 'cards with suggestions need selectionBehavior ("at-most-one" or "any")' });
    }
    const text = JSON.stringify({ ...card, $schema: undefined });
    problems.push(...checkCardTemplate(f, card, ENGINE_FACT_NAMES));
    for (const name of new Set(placeholdersIn(text))) {
      if (!isCardVariable(name)) {
        const hint = suggestion(name, CARD_VARIABLE_NAMES, (s) => `{{${s}}}`);
        problems.push({ file: f, rule: card.rule, path: 'placeholders', message: `{{${name}}} is not a card variable: fix the name or remove it.${hint} (known: ${CARD_VARIABLE_NAMES.join(', ')})`, ...placeOf(f, `{{${name}}}`) });
      }
    }
    // {episode.days} with single braces would reach the clinician as it is written.
    for (const m of text.matchAll(/(?<!\{)\{([A-Za-z][\w.]*)\}(?!\})/g)) {
      const name = m[1] ?? '';
      if (!isCardVariable(name) && !name.includes('.')) continue;
      problems.push({ file: f, rule: card.rule, path: 'placeholders', message: `{${name}} has single braces, so the card would show it as written: write {{${name}}}`, ...placeOf(f, `{${name}}`) });
    }
    if (!cards.has(card.rule)) {
      cards.set(card.rule, card);
      cardFiles.set(card.rule, f);
    }
  }

  // Rule files
  const ruleSets: RuleSet[] = [];
  // A rule id names one card, so the same rule (cauda-equina-emergency) may serve several rule files; within a file it must be unique.
  const ruleIds = new Map<string, RuleDefinition>();
  const ruleFiles = new Map<string, string>();
  let ruleFileBroken = false;
  for (const file of jsonFiles(dirs.rulesDir)) {
    if (file === findingsPath || file === instrumentsPath) continue;
    const raw = parse(file, RuleFileSchema);
    if (!raw) {
      ruleFileBroken = true;
      continue;
    }
    const f = show(file);
    // Thresholds are written once, in "params": the engine, the trace and the titles all read the resolved rule.
    const content = { ...raw, rules: raw.rules.map(resolveRuleParams) };
    raw.rules.forEach((rule, i) => problems.push(...paramProblems(f, `rules[${i}]`, rule, cards.get(rule.id), cardFiles.get(rule.id))));
    content.services.forEach((id, i) => {
      if (!SERVICES.some((s) => s.id === id)) {
        problems.push({ file: f, path: `services[${i}]`, message: `"${id}" is not a CDS service of this product: fix the id (services: ${SERVICES.map((s) => s.id).join(', ')})` });
      }
    });
    // An order-scoped rule needs a service that looks at orders; otherwise its card has no order to name.
    const patientOnly = content.services.every((id) => SERVICES.find((s) => s.id === id)?.evaluates === 'patient');
    content.rules.forEach((rule, i) => {
      const at = `rules[${i}]`;
      if (content.rules.findIndex((r) => r.id === rule.id) !== i) problems.push({ file: f, rule: rule.id, path: `${at}.id`, message: `rule id "${rule.id}" is used twice in this file: rename one of them` });
      ruleIds.set(rule.id, rule);
      ruleFiles.set(rule.id, f);
      // A card file that is there but broken is reported already; "add it" would mislead.
      if (!cards.has(rule.id) && !existsSync(join(dirs.cardsDir, `${rule.id}.json`))) {
        problems.push({ file: f, rule: rule.id, path: `${at}.id`, message: `no card template: add cards/${rule.id}.json` });
      }
      let unknownFact = false;
      for (const { leaf: { fact, operator, value }, path } of conditionLeaves<Extract<ConditionNode, { fact: string }>>(rule.conditions, `${at}.conditions`)) {
        // "42" in quotes never compares as a number: the rule would silently never fire.
        if (NUMERIC_OPERATORS.has(String(operator)) && typeof value !== 'number') {
          problems.push({ file: f, rule: rule.id, path: `${path}.value`, message: `${String(operator)} compares numbers, and the value is ${JSON.stringify(value)}: write a number without quotes, e.g. 42` });
        }
        if (!ENGINE_FACT_NAMES.includes(fact)) {
          unknownFact = true;
          problems.push({ file: f, rule: rule.id, path: `${path}.fact`, message: `unknown fact "${fact}": fix the name.${suggestion(fact, ENGINE_FACT_NAMES)} (known facts: ${ENGINE_FACT_NAMES.join(', ')})` });
        }
      }
      (rule.replaces ?? []).forEach((r, j) => {
        if (r !== '*' && !content.rules.some((other) => other.id === r)) {
          problems.push({ file: f, rule: rule.id, path: `${at}.replaces[${j}]`, message: `replaces "${r}", which is not a rule in this file: fix the id or remove it` });
        }
      });
      if (rule.scope === 'order' && patientOnly && content.services.length) {
        problems.push({ file: f, rule: rule.id, path: `${at}.scope`, message: `scope "order" needs a service that looks at orders, and ${content.services.join(', ')} look at the patient: use "patient"` });
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
          message: `${orderWords.map((n) => `{{${n}}}`).join(', ')} name an order, but rule "${rule.id}" gives one card per patient, not per order: remove them, or make the rule's scope "order"`,
        });
      }
    });
    try {
      ruleSets.push(compileRuleSet(f, content, cards));
    } catch (err) {
      problems.push({ file: f, path: 'rules', message: `json-rules-engine refused the rules: ${(err as Error).message}` });
    }
  }
  // With a rule file that did not load, its rules are unknown: "delete this card" would be wrong advice.
  for (const [rule, file] of cardFiles) {
    if (!ruleIds.has(rule) && !ruleFileBroken) problems.push({ file, rule, path: 'rule', message: `no rule "${rule}" in any rule file: fix "rule", add the rule, or delete this card` });
  }
  const services = new Map<string, RuleSet>();
  for (const set of ruleSets) {
    for (const s of set.services) {
      if (services.has(s)) problems.push({ file: set.file, path: 'services', message: `service "${s}" already has rules in ${services.get(s)?.file}: a service takes its rules from one file, so remove it from one of them` });
      services.set(s, set);
    }
  }

  if (problems.length || !findings || !instruments || !links) throw new KnowledgeError(placeProblems(problems, sources));
  return {
    version: hash.digest('hex').slice(0, 16),
    loadedAt: new Date().toISOString(),
    valueSets,
    valueSet(id) {
      const vs = valueSets.get(id);
      if (!vs) throw new Error(`value set "${id}" is not loaded`);
      return vs;
    },
    findings,
    instruments,
    ruleSets,
    ruleSetFor: (serviceId) => services.get(serviceId),
    cards,
    snippets,
    links,
  };
}
