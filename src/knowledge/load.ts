/**
 * Loads the files informaticians edit (rules/, rules/valuesets/, cards/) into one immutable
 * knowledge base, or fails with every problem found, each naming the file, the rule and the field.
 * Reading and schema checks are read-files.ts; what a schema cannot say is checked per kind of file
 * (valueset-checks, card-checks, card-file-checks, definition-checks, param-checks, rule-checks); this module reads
 * each kind in the order their references need, checks the references across files, and compiles
 * the rules.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileRuleSet, type RuleSet } from './rule-sets.js';
import {
  CardTemplateSchema,
  FindingsFileSchema,
  InstrumentsFileSchema,
  LinksFileSchema,
  RuleFileSchema,
  SnippetFileSchema,
  ValueSetFileSchema,
  type CardTemplate,
  type FindingsFile,
  type InstrumentsFile,
  type LinksFile,
  type SnippetFile,
} from './schemas.js';
import { checkLinks, checkLinksFile, expandIncludes } from './card-checks.js';
import { checkFindings, checkInstruments } from './definition-checks.js';
import { FACT_VALUE_SETS } from './fact-docs.js';
import { paramProblems, resolveRuleParams } from './param-checks.js';
import { checkCardFile } from './card-file-checks.js';
import { KnowledgeError, placeProblems, suggestion, type Problem } from './problems.js';
import { jsonFiles, knowledgeReader, type KnowledgeReader } from './read-files.js';
import { checkRuleFile } from './rule-checks.js';
import { valueSetProblems } from './valueset-checks.js';
import { compileValueSet, type ValueSet } from './valuesets.js';

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
/** Files in rules/ that are not rule files. */
const FINDINGS_FILE = 'findings.json';
const INSTRUMENTS_FILE = 'instruments.json';

export interface KnowledgeDirs {
  rulesDir: string;
  cardsDir: string;
}

/** What every stage of a load shares: the folders, the reader and the problems found so far. */
interface Loading {
  dirs: KnowledgeDirs;
  reader: KnowledgeReader;
  problems: Problem[];
}

export function loadKnowledge(dirs: KnowledgeDirs): KnowledgeBase {
  const problems: Problem[] = [];
  const load: Loading = { dirs, reader: knowledgeReader(dirs.rulesDir, problems), problems };
  const valueSets = readValueSets(load);
  const needValueSet = valueSetCheck(load, valueSets);
  for (const id of Object.values(FACT_VALUE_SETS)) needValueSet('rules/valuesets', id, id);
  const instruments = readInstruments(load, needValueSet);
  const snippets = readSnippets(load);
  const links = readLinks(load);
  const findings = readFindings(load, needValueSet);
  const { cards, cardFiles } = readCards(load, snippets, links);
  const ruleSets = readRuleSets(load, cards, cardFiles);
  const services = servicesOf(ruleSets, problems);

  if (problems.length || !findings || !instruments || !links) throw new KnowledgeError(placeProblems(problems, load.reader.sources));
  return {
    version: load.reader.version(),
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

type NeedValueSet = (file: string, path: string, id: string, rule?: string) => void;

function readValueSets({ dirs, reader, problems }: Loading): Map<string, ValueSet> {
  const valueSets = new Map<string, ValueSet>();
  for (const file of jsonFiles(join(dirs.rulesDir, 'valuesets'))) {
    const vs = reader.parse(file, ValueSetFileSchema);
    if (!vs) continue;
    const expected = file
      .split('/')
      .pop()
      ?.replace(/\.json$/, '');
    if (vs.id !== expected)
      problems.push({
        file: reader.show(file),
        path: 'id',
        message: `id "${vs.id}" must equal the file name "${expected}": change the id or rename the file`,
      });
    problems.push(...valueSetProblems(reader.show(file), vs));
    valueSets.set(vs.id, compileValueSet(vs));
  }
  return valueSets;
}

/** Records a problem for a value set id that names no loaded value set. */
function valueSetCheck({ dirs, reader, problems }: Loading, valueSets: ReadonlyMap<string, ValueSet>): NeedValueSet {
  return (file, path, id, rule) => {
    // A value set file that is there but broken is reported already: "does not exist" would be wrong.
    if (!valueSets.has(id) && !reader.isBroken(reader.show(join(dirs.rulesDir, 'valuesets', `${id}.json`)))) {
      const hint = suggestion(id, [...valueSets.keys()]);
      problems.push({
        file,
        ...(rule ? { rule } : {}),
        path,
        message: `value set "${id}" does not exist in rules/valuesets/ (add rules/valuesets/${id}.json or fix the name).${hint}`,
      });
    }
  };
}

/** STarT Back and SCOPiC. */
function readInstruments({ dirs, reader, problems }: Loading, needValueSet: NeedValueSet): InstrumentsFile | undefined {
  const path = join(dirs.rulesDir, INSTRUMENTS_FILE);
  const instruments = reader.parse(path, InstrumentsFileSchema);
  if (instruments) {
    needValueSet(reader.show(path), 'startBack.totalValueSet', instruments.startBack.totalValueSet);
    problems.push(...checkInstruments(reader.show(path), instruments));
  }
  return instruments;
}

/** Shared card text (cards/snippets/). */
function readSnippets({ dirs, reader, problems }: Loading): Map<string, SnippetFile> {
  const snippets = new Map<string, SnippetFile>();
  for (const file of jsonFiles(join(dirs.cardsDir, SNIPPETS_DIR))) {
    const snippet = reader.parse(file, SnippetFileSchema);
    if (!snippet) continue;
    const expected = basename(file).replace(/\.json$/, '');
    if (snippet.id !== expected)
      problems.push({
        file: reader.show(file),
        path: 'id',
        message: `id "${snippet.id}" must equal the file name "${expected}": change the id or rename the file`,
      });
    else snippets.set(snippet.id, snippet);
  }
  return snippets;
}

/** The list of links (cards/links.json). */
function readLinks({ dirs, reader, problems }: Loading): LinksFile | undefined {
  const path = join(dirs.cardsDir, LINKS_FILE);
  const links = existsSync(path) ? reader.parse(path, LinksFileSchema) : undefined;
  if (links) problems.push(...checkLinksFile(reader.show(path), links));
  if (!existsSync(path))
    problems.push({
      file: reader.show(path),
      path: '',
      message: `missing: add cards/${LINKS_FILE}, the list of every link the cards carry (url, publisher, title, lastChecked)`,
    });
  return links;
}

/** Red flags and cauda equina. */
function readFindings({ dirs, reader, problems }: Loading, needValueSet: NeedValueSet): FindingsFile | undefined {
  const path = join(dirs.rulesDir, FINDINGS_FILE);
  const findings = reader.parse(path, FindingsFileSchema);
  if (!findings) return undefined;
  const f = reader.show(path);
  const defs = [
    ...findings.redFlags.map((d, i) => [d, `redFlags[${i}]`] as const),
    [findings.caudaEquina, 'caudaEquina'] as const,
    [findings.priorLumbarImaging, 'priorLumbarImaging'] as const,
  ];
  defs.forEach(([def, at]) => {
    def.sources.forEach((source, j) => {
      needValueSet(f, `${at}.sources[${j}].valueSet`, source.valueSet);
      if (source.resource === 'ImagingStudy' && source.bodySite)
        needValueSet(f, `${at}.sources[${j}].bodySite.valueSet`, source.bodySite.valueSet);
    });
    if (def.medication) needValueSet(f, `${at}.medication.valueSet`, def.medication.valueSet);
    if (defs.findIndex(([d]) => d.id === def.id) !== defs.findIndex(([d]) => d === def)) {
      problems.push({ file: f, path: `${at}.id`, message: `finding id "${def.id}" is used twice: each finding needs its own id` });
    }
  });
  problems.push(...checkFindings(f, findings));
  return findings;
}

/** Card templates with their snippets included, by rule id, and the shown path of each. */
function readCards(
  { dirs, reader, problems }: Loading,
  snippets: ReadonlyMap<string, SnippetFile>,
  links: LinksFile | undefined,
): { cards: Map<string, CardTemplate>; cardFiles: Map<string, string> } {
  const cards = new Map<string, CardTemplate>();
  const cardFiles = new Map<string, string>();
  for (const file of jsonFiles(dirs.cardsDir)) {
    if (basename(file) === LINKS_FILE) continue;
    const parsed = reader.parse(file, CardTemplateSchema);
    if (!parsed) continue;
    const f = reader.show(file);
    const expanded = expandIncludes(f, parsed, snippets);
    problems.push(...expanded.problems);
    const card = expanded.card;
    if (links) problems.push(...checkLinks(f, card, links));
    if (cards.has(card.rule))
      problems.push({
        file: f,
        rule: card.rule,
        path: 'rule',
        message: `${cardFiles.get(card.rule)} is already the card for this rule: delete one of the two`,
      });
    else if (basename(file) !== `${card.rule}.json`)
      problems.push({
        file: f,
        rule: card.rule,
        path: 'rule',
        message: `the card for rule "${card.rule}" must be cards/${card.rule}.json: rename the file or fix "rule"`,
      });
    problems.push(...checkCardFile(f, card, (needle) => reader.placeOf(f, needle)));
    if (!cards.has(card.rule)) {
      cards.set(card.rule, card);
      cardFiles.set(card.rule, f);
    }
  }
  return { cards, cardFiles };
}

/** The rule files (every other .json in rules/), checked and compiled; and a card whose rule is nowhere. */
function readRuleSets(
  { dirs, reader, problems }: Loading,
  cards: ReadonlyMap<string, CardTemplate>,
  cardFiles: ReadonlyMap<string, string>,
): RuleSet[] {
  const ruleSets: RuleSet[] = [];
  // A rule id names one card, so the same rule (cauda-equina-emergency) may serve several rule files; within a file it must be unique.
  const ruleIds = new Set<string>();
  let ruleFileBroken = false;
  for (const file of jsonFiles(dirs.rulesDir)) {
    if (basename(file) === FINDINGS_FILE || basename(file) === INSTRUMENTS_FILE) continue;
    const raw = reader.parse(file, RuleFileSchema);
    if (!raw) {
      ruleFileBroken = true;
      continue;
    }
    const f = reader.show(file);
    // Thresholds are written once, in "params": the engine, the trace and the titles all read the resolved rule.
    const content = { ...raw, rules: raw.rules.map(resolveRuleParams) };
    raw.rules.forEach((rule, i) => problems.push(...paramProblems(f, `rules[${i}]`, rule, cards.get(rule.id), cardFiles.get(rule.id))));
    problems.push(...checkRuleFile(content, { file: f, cardsDir: dirs.cardsDir, cards, cardFiles }));
    for (const rule of content.rules) ruleIds.add(rule.id);
    try {
      ruleSets.push(compileRuleSet(f, content, cards));
    } catch (err) {
      problems.push({ file: f, path: 'rules', message: `json-rules-engine refused the rules: ${(err as Error).message}` });
    }
  }
  // With a rule file that did not load, its rules are unknown: "delete this card" would be wrong advice.
  for (const [rule, file] of cardFiles) {
    if (!ruleIds.has(rule) && !ruleFileBroken)
      problems.push({
        file,
        rule,
        path: 'rule',
        message: `no rule "${rule}" in any rule file: fix "rule", add the rule, or delete this card`,
      });
  }
  return ruleSets;
}

/** Each service's rule set: a service takes its rules from one file. */
function servicesOf(ruleSets: readonly RuleSet[], problems: Problem[]): Map<string, RuleSet> {
  const services = new Map<string, RuleSet>();
  for (const set of ruleSets) {
    for (const s of set.services) {
      if (services.has(s))
        problems.push({
          file: set.file,
          path: 'services',
          message:
            `service "${s}" already has rules in ${services.get(s)?.file}: a service takes its rules from one ` +
            `file, so remove it from one of them`,
        });
      services.set(s, set);
    }
  }
  return services;
}
