/**
 * Loads the files informaticians edit (rules/, rules/valuesets/, cards/) into one immutable
 * knowledge base, or fails with every problem found, each naming the file, the rule and the field.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';
import { CARD_VARIABLE_NAMES, isCardVariable, placeholdersIn } from '../cards/variables.js';
import { CARE_VALUE_SETS } from '../facts/care-facts.js';
import { ENGINE_FACT_NAMES } from '../facts/patient-facts.js';
import { projectRoot } from '../paths.js';
import { compileRuleSet, type RuleSet } from '../rules/engine.js';
import {
  CardTemplateSchema,
  FindingsFileSchema,
  InstrumentsFileSchema,
  RuleFileSchema,
  ValueSetFileSchema,
  type CardTemplate,
  type FindingsFile,
  type InstrumentsFile,
  type RuleDefinition,
} from './schemas.js';
import { checkCardTemplate, checkInstruments } from './care-checks.js';
import { compileValueSet, type ValueSet } from './valuesets.js';

export interface Problem {
  file: string;
  rule?: string;
  path: string;
  message: string;
}

export class KnowledgeError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'KnowledgeError';
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}${p.rule ? ` (rule "${p.rule}")` : ''}: ${p.path || '(file)'}: ${p.message}`;
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
  cards: ReadonlyMap<string, CardTemplate>;
}

export interface KnowledgeDirs {
  rulesDir: string;
  cardsDir: string;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function pathOf(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i ? '.' : ''}${String(s)}`)).join('');
}

export function loadKnowledge(dirs: KnowledgeDirs): KnowledgeBase {
  const problems: Problem[] = [];
  const hash = createHash('sha256');
  const show = (file: string): string => relative(projectRoot, file) || file;

  function parse<T>(file: string, schema: z.ZodType<T>): T | undefined {
    let raw: string;
    let json: unknown;
    try {
      raw = readFileSync(file, 'utf8');
      hash.update(show(file)).update('\0').update(raw).update('\0');
      json = JSON.parse(raw);
    } catch (err) {
      problems.push({ file: show(file), path: '', message: `not readable JSON: ${(err as Error).message}` });
      return undefined;
    }
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const rules = (json as { rules?: { id?: unknown }[] }).rules;
      const ruleIndex = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
      const ruleId = ruleIndex !== undefined ? rules?.[ruleIndex]?.id : undefined;
      problems.push({
        file: show(file),
        ...(typeof ruleId === 'string' ? { rule: ruleId } : {}),
        path: pathOf(issue.path),
        message: issue.message,
      });
    }
    return undefined;
  }

  // Value sets
  const valueSets = new Map<string, ValueSet>();
  const codeOwners = new Map<string, string>();
  for (const file of jsonFiles(join(dirs.rulesDir, 'valuesets'))) {
    const vs = parse(file, ValueSetFileSchema);
    if (!vs) continue;
    const expected = file.split('/').pop()?.replace(/\.json$/, '');
    if (vs.id !== expected) problems.push({ file: show(file), path: 'id', message: `id "${vs.id}" must equal the file name "${expected}"` });
    if (valueSets.has(vs.id)) problems.push({ file: show(file), path: 'id', message: `duplicate value set id "${vs.id}"` });
    vs.codes.forEach((c, i) => {
      const key = `${c.system}|${c.code}`;
      if (codeOwners.get(key) === vs.id) {
        problems.push({ file: show(file), path: `codes[${i}]`, message: `duplicate code ${key}: remove one of them` });
      }
      codeOwners.set(key, vs.id);
    });
    valueSets.set(vs.id, compileValueSet(vs));
  }
  const needValueSet = (file: string, path: string, id: string, rule?: string): void => {
    if (!valueSets.has(id)) {
      problems.push({ file, ...(rule ? { rule } : {}), path, message: `value set "${id}" does not exist in rules/valuesets/ (add rules/valuesets/${id}.json or fix the name)` });
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

  // Red flags and cauda equina
  const findingsPath = join(dirs.rulesDir, 'findings.json');
  const findings = parse(findingsPath, FindingsFileSchema);
  if (findings) {
    const f = show(findingsPath);
    [...findings.redFlags.map((d, i) => [d, `redFlags[${i}]`] as const), [findings.caudaEquina, 'caudaEquina'] as const].forEach(([def, at]) => {
      needValueSet(f, `${at}.valueSet`, def.valueSet);
      if (def.observation) needValueSet(f, `${at}.observation.valueSet`, def.observation.valueSet);
      if (def.medication) needValueSet(f, `${at}.medication.valueSet`, def.medication.valueSet);
    });
  }

  // Card templates
  const cards = new Map<string, CardTemplate>();
  for (const file of jsonFiles(dirs.cardsDir)) {
    const card = parse(file, CardTemplateSchema);
    if (!card) continue;
    const f = show(file);
    if (cards.has(card.rule)) problems.push({ file: f, rule: card.rule, path: 'rule', message: 'a card template for this rule already exists' });
    if (card.suggestions?.length && !card.selectionBehavior) {
      problems.push({ file: f, rule: card.rule, path: 'selectionBehavior', message: 'cards with suggestions need selectionBehavior ("at-most-one" or "any")' });
    }
    const text = JSON.stringify({ ...card, $schema: undefined });
    problems.push(...checkCardTemplate(f, card, ENGINE_FACT_NAMES));
    for (const name of new Set(placeholdersIn(text))) {
      if (!isCardVariable(name)) {
        problems.push({ file: f, rule: card.rule, path: 'placeholders', message: `{{${name}}} is not a card variable; known: ${CARD_VARIABLE_NAMES.join(', ')}` });
      }
    }
    cards.set(card.rule, card);
  }

  // Rule files
  const ruleSets: RuleSet[] = [];
  // A rule id names one card, so the same rule (cauda-equina-emergency) may serve several rule files; within a file it must be unique.
  const ruleIds = new Map<string, RuleDefinition>();
  for (const file of jsonFiles(dirs.rulesDir)) {
    if (file === findingsPath || file === instrumentsPath) continue;
    const content = parse(file, RuleFileSchema);
    if (!content) continue;
    const f = show(file);
    content.rules.forEach((rule, i) => {
      if (content.rules.findIndex((r) => r.id === rule.id) !== i) problems.push({ file: f, rule: rule.id, path: `rules[${i}].id`, message: 'duplicate rule id in this file' });
      ruleIds.set(rule.id, rule);
      if (!cards.has(rule.id)) problems.push({ file: f, rule: rule.id, path: `rules[${i}].id`, message: `no card template: add cards/${rule.id}.json` });
      const facts = JSON.stringify(rule.conditions).matchAll(/"fact":"([^"]*)"/g);
      for (const [, fact] of facts) {
        if (fact && !ENGINE_FACT_NAMES.includes(fact)) {
          problems.push({ file: f, rule: rule.id, path: `rules[${i}].conditions`, message: `unknown fact "${fact}"; known facts: ${ENGINE_FACT_NAMES.join(', ')}` });
        }
      }
      for (const r of rule.replaces ?? []) {
        if (r !== '*' && !content.rules.some((other) => other.id === r)) {
          problems.push({ file: f, rule: rule.id, path: `rules[${i}].replaces`, message: `replaces "${r}", which is not a rule in this file` });
        }
      }
    });
    try {
      ruleSets.push(compileRuleSet(f, content, cards));
    } catch (err) {
      problems.push({ file: f, path: 'rules', message: `json-rules-engine refused the rules: ${(err as Error).message}` });
    }
  }
  for (const rule of cards.keys()) {
    if (!ruleIds.has(rule)) problems.push({ file: `cards/${rule}.json`, rule, path: 'rule', message: 'no rule with this id in rules/' });
  }
  const services = new Map<string, RuleSet>();
  for (const set of ruleSets) {
    for (const s of set.services) {
      if (services.has(s)) problems.push({ file: set.file, path: 'services', message: `service "${s}" already has rules in ${services.get(s)?.file}` });
      services.set(s, set);
    }
  }

  if (problems.length || !findings || !instruments) throw new KnowledgeError(problems);
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
  };
}
