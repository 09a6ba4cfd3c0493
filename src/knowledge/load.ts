/**
 * Loads the files informaticians edit (rules/, rules/valuesets/, cards/) into one immutable
 * knowledge base, or fails with every problem found, each naming the file, the rule and the field.
 * Reading and schema checks are read-files.ts; what a schema cannot say is checked per kind of file
 * (valueset-checks, card-checks, card-file-checks, care-checks, rule-checks); this module reads
 * each kind in the order their references need, checks the references across files, and compiles
 * the rules.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CARE_VALUE_SETS } from '../facts/care-facts.js';
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
  type FindingsFile,
  type InstrumentsFile,
  type LinksFile,
  type SnippetFile,
} from './schemas.js';
import { checkInstruments } from './care-checks.js';
import { checkFindings, checkLinks, checkLinksFile, expandIncludes, paramProblems, resolveRuleParams } from './card-checks.js';
import { checkCardFile } from './card-file-checks.js';
import { KnowledgeError, placeProblems, suggestion, type Problem } from './problems.js';
import { jsonFiles, knowledgeReader } from './read-files.js';
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

export interface KnowledgeDirs {
  rulesDir: string;
  cardsDir: string;
}

export function loadKnowledge(dirs: KnowledgeDirs): KnowledgeBase {
  const problems: Problem[] = [];
  const reader = knowledgeReader(dirs.rulesDir, problems);
  const { parse, show } = reader;

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
    if (!valueSets.has(id) && !reader.isBroken(show(join(dirs.rulesDir, 'valuesets', `${id}.json`)))) {
      const hint = suggestion(id, [...valueSets.keys()]);
      problems.push({ file, ...(rule ? { rule } : {}), path, message: `value set "${id}" does not exist in rules/valuesets/ (add rules/valuesets/${id}.json or fix the name).${hint}` });
    }
  };
  for (const id of ['back-pain', 'sciatica', 'lumbar-imaging', ...Object.values(CARE_VALUE_SETS)]) needValueSet('rules/valuesets', id, id);

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
    problems.push(...checkCardFile(f, card, (needle) => reader.placeOf(f, needle)));
    if (!cards.has(card.rule)) {
      cards.set(card.rule, card);
      cardFiles.set(card.rule, f);
    }
  }

  // Rule files
  const ruleSets: RuleSet[] = [];
  // A rule id names one card, so the same rule (cauda-equina-emergency) may serve several rule files; within a file it must be unique.
  const ruleIds = new Set<string>();
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
    if (!ruleIds.has(rule) && !ruleFileBroken) problems.push({ file, rule, path: 'rule', message: `no rule "${rule}" in any rule file: fix "rule", add the rule, or delete this card` });
  }
  const services = new Map<string, RuleSet>();
  for (const set of ruleSets) {
    for (const s of set.services) {
      if (services.has(s)) problems.push({ file: set.file, path: 'services', message: `service "${s}" already has rules in ${services.get(s)?.file}: a service takes its rules from one file, so remove it from one of them` });
      services.set(s, set);
    }
  }

  if (problems.length || !findings || !instruments || !links) throw new KnowledgeError(placeProblems(problems, reader.sources));
  return {
    version: reader.version(),
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
