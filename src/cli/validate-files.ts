/**
 * `backpain-cds validate`: everything the service checks when it loads the files, plus what helps
 * an informatician but does not stop the service: each file names its JSON Schema, and each
 * scenario expects rule ids and services that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { SERVICES } from '../hooks/services.js';
import { projectRoot } from '../paths.js';
import { scenarioFilePaths } from '../demo/scenarios/load.js';
import { readScenarioFiles } from '../demo/scenarios/run.js';
import { canonicalSystem, SNOMED } from '../knowledge/code-systems.js';
import { schemasDir } from './json-schemas.js';
import { ruleTestProblems } from './rule-test-checks.js';
import { valueSetSchemaGaps } from './schema-freshness.js';
import { LINKS_FILE, loadKnowledge, SNIPPETS_DIR, type KnowledgeBase, type KnowledgeDirs } from '../knowledge/load.js';
import { KnowledgeError, placeProblems, type Problem } from '../knowledge/problems.js';

export interface Finding extends Problem {
  severity: 'error' | 'warning';
}

export interface ValidationReport {
  ok: boolean;
  /** The rule set's version when it loads. */
  version?: string;
  counts: { ruleFiles: number; rules: number; valueSets: number; cards: number; scenarios: number; ruleTests: number };
  problems: Finding[];
}

export interface ValidateDirs extends KnowledgeDirs {
  scenariosDir?: string;
  /** The rule-level tests (test/rule-tests/): facts given directly, the rules that must (not) fire. */
  ruleTestsDir?: string;
}

/** Knowledge files are shown from the folder that holds rules/, as loading shows them; scenarios from the project. */
let base = projectRoot;
const show = (file: string): string => relative(file.startsWith(base) ? base : projectRoot, file) || file;

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Each file should name its schema by a path relative to itself, so any editor finds it. */
function schemaReferences(dirs: ValidateDirs): Finding[] {
  const schemas = existsSync(join(dirs.rulesDir, 'schemas')) ? join(dirs.rulesDir, 'schemas') : schemasDir;
  const findings = join(dirs.rulesDir, 'findings.json');
  const instruments = join(dirs.rulesDir, 'instruments.json');
  const groups: [string[], string][] = [
    [jsonFiles(dirs.rulesDir).filter((f) => f !== findings && f !== instruments), 'rule-file.schema.json'],
    [existsSync(findings) ? [findings] : [], 'findings.schema.json'],
    [existsSync(instruments) ? [instruments] : [], 'instruments.schema.json'],
    [jsonFiles(join(dirs.rulesDir, 'valuesets')), 'valueset.schema.json'],
    [jsonFiles(dirs.cardsDir).filter((f) => basename(f) !== LINKS_FILE), 'card.schema.json'],
    [jsonFiles(dirs.cardsDir).filter((f) => basename(f) === LINKS_FILE), 'links.schema.json'],
    [jsonFiles(join(dirs.cardsDir, SNIPPETS_DIR)), 'snippet.schema.json'],
    [dirs.scenariosDir && existsSync(dirs.scenariosDir) ? scenarioFilePaths(dirs.scenariosDir) : [], 'scenario.schema.json'],
    [dirs.ruleTestsDir ? jsonFiles(dirs.ruleTestsDir) : [], 'rule-test.schema.json'],
  ];
  const out: Finding[] = [];
  for (const [files, schema] of groups) {
    for (const file of files) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        continue; // loading reports unreadable files
      }
      const near = relative(dirname(file), join(schemas, schema));
      const expected = near.startsWith('.') ? near : `./${near}`;
      const actual = (json as { $schema?: unknown }).$schema;
      // Any path that reaches an existing copy of the right schema will do (a copied folder keeps working).
      const reached = typeof actual === 'string' ? resolve(dirname(file), actual) : undefined;
      if (!reached || basename(reached) !== schema || !existsSync(reached)) {
        out.push({
          severity: 'warning',
          file: show(file),
          path: '$schema',
          message:
            `${actual === undefined ? 'is missing' : `is ${JSON.stringify(actual)}`}: ` +
            `set "$schema": "${expected}" so your editor checks this file as you type`,
        });
      }
    }
  }
  return out;
}

/** Markup in card text: harmless once the EHR sanitises it, but it will not show as the author meant. */
const MARKUP = /<\s*\/?\s*[a-z][^>]*>|javascript\s*:|\bon[a-z]+\s*=/i;

function cardMarkup(cardsDir: string): Finding[] {
  const out: Finding[] = [];
  for (const file of jsonFiles(cardsDir)) {
    let card: { rule?: unknown; summary?: unknown; detail?: unknown; suggestions?: { label?: unknown }[] };
    try {
      card = JSON.parse(readFileSync(file, 'utf8')) as typeof card;
    } catch {
      continue;
    }
    const texts: [string, unknown][] = [
      ['summary', card.summary],
      ...(Array.isArray(card.detail)
        ? card.detail.flatMap((line: unknown, i): [string, unknown][] => {
            const block = line as { lines?: unknown } | null;
            return Array.isArray(block?.lines)
              ? block.lines.map((l, j): [string, unknown] => [`detail[${i}].lines[${j}]`, l])
              : [[`detail[${i}]`, line]];
          })
        : []),
      ...(Array.isArray(card.suggestions)
        ? card.suggestions.map((sug, i): [string, unknown] => [`suggestions[${i}].label`, sug?.label])
        : []),
    ];
    for (const [path, text] of texts) {
      const found = typeof text === 'string' ? MARKUP.exec(text) : null;
      if (found) {
        out.push({
          severity: 'warning',
          file: show(file),
          ...(typeof card.rule === 'string' ? { rule: card.rule } : {}),
          path,
          message:
            `contains markup ${JSON.stringify(found[0])}: ` +
            'EHRs strip HTML and script links from cards, so write plain markdown instead',
        });
      }
    }
  }
  return out;
}

/** Value sets where a missed descendant is a missed red flag: their explicit SNOMED concepts should carry an is-a filter. */
const SAFETY_VALUE_SET = /^(red-flag-.+|cauda-equina-signs)$/;

/**
 * A SNOMED concept listed on its own matches that code only: a record coded with a more specific
 * descendant (prostate cancer under "malignant neoplastic disease") is missed. It is covered when an
 * is-a filter names it, or when the set has SNOMED is-a filters and the concept is a member of their
 * expansion (then its descendants are members too). Without a terminology server that is as far as
 * the hierarchy can be checked.
 */
function snomedWithoutDescendants(kb: KnowledgeBase, rulesDir: string): Finding[] {
  const out: Finding[] = [];
  for (const vs of kb.valueSets.values()) {
    if (!SAFETY_VALUE_SET.test(vs.id)) continue;
    const { include } = vs.file.compose;
    const filtered = new Set(
      include.flatMap((set) =>
        canonicalSystem(set.system) === SNOMED
          ? (set.filter ?? []).filter((f) => f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of')).map((f) => f.value)
          : [],
      ),
    );
    const expanded = new Set(
      filtered.size ? (vs.file.expansion.contains ?? []).filter((c) => canonicalSystem(c.system) === SNOMED).map((c) => c.code) : [],
    );
    include.forEach((set, i) => {
      if (canonicalSystem(set.system) !== SNOMED) return;
      (set.concept ?? []).forEach((c, j) => {
        if (filtered.has(c.code) || expanded.has(c.code)) return;
        out.push({
          severity: 'warning',
          file: show(join(rulesDir, 'valuesets', `${vs.id}.json`)),
          path: `compose.include[${i}].concept[${j}]`,
          message:
            `SNOMED ${c.code}${c.display ? ` (${c.display})` : ''} is listed without an is-a filter` +
            (filtered.size ? " and is not in the expansion of the set's is-a filters" : '') +
            ', so records coded with its descendants will not match: ' +
            `add {"property": "concept", "op": "is-a", "value": "${c.code}"} to a SNOMED include ` +
            'and list the descendants in expansion.contains (backpain-cds valueset expand does this)',
        });
      });
    });
  }
  return out;
}

function scenarioProblems(dir: string, kb: KnowledgeBase | undefined): { count: number; problems: Finding[] } {
  const files = readScenarioFiles(dir);
  const problems: Finding[] = [];
  // The demo server and the integration tests load every scenario into one FHIR server: an id used
  // twice would overwrite another scenario's patient or resource.
  const owners = new Map<string, string>();
  const claim = (key: string, file: string, path: string, what: string): void => {
    const owner = owners.get(key);
    if (owner === undefined) owners.set(key, file);
    else
      problems.push({
        severity: 'error',
        file: show(file),
        path,
        message: `${what} is also used in ${show(owner)}: give it an id of its own`,
      });
  };
  for (const f of files) {
    if (f.error || !f.scenario) {
      problems.push({ severity: 'error', file: show(f.file), path: '', message: `${(f.error ?? '').replace(`${f.file}: `, '')}` });
      continue;
    }
    const sc = f.scenario;
    claim(`scenario ${sc.id}`, f.file, 'id', `scenario id "${sc.id}"`);
    [sc.patient, ...sc.resources, ...sc.draftOrders].forEach((r, i) => {
      const path =
        i === 0 ? 'patient.id' : i <= sc.resources.length ? `resources[${i - 1}].id` : `draftOrders[${i - 1 - sc.resources.length}].id`;
      claim(`${r.resourceType}/${r.id}`, f.file, path, `${r.resourceType}/${r.id}`);
    });
    for (const [serviceId, expected] of Object.entries(f.scenario.expect)) {
      const path = `expect.${serviceId}`;
      if (!SERVICES.some((s) => s.id === serviceId)) {
        problems.push({
          severity: 'error',
          file: show(f.file),
          path,
          message: `"${serviceId}" is not a CDS service: fix the id (services: ${SERVICES.map((s) => s.id).join(', ')})`,
        });
        continue;
      }
      if (!kb) continue;
      const ruleSet = kb.ruleSetFor(serviceId);
      if (!ruleSet) {
        problems.push({
          severity: 'error',
          file: show(f.file),
          path,
          message: `no rule file serves "${serviceId}": add it to a rule file's "services", or remove this expectation`,
        });
        continue;
      }
      expected.forEach((rule, i) => {
        if (!ruleSet.rules.some((r) => r.id === rule)) {
          problems.push({
            severity: 'error',
            file: show(f.file),
            rule,
            path: `${path}[${i}]`,
            message: `"${rule}" is not a rule of ${serviceId} (${ruleSet.file}): fix the rule id`,
          });
        }
      });
    }
  }
  return { count: files.length, problems };
}

function countRules(files: string[]): number {
  return files.reduce((n, f) => {
    try {
      const rules = (JSON.parse(readFileSync(f, 'utf8')) as { rules?: unknown }).rules;
      return n + (Array.isArray(rules) ? rules.length : 0);
    } catch {
      return n;
    }
  }, 0);
}

function placeFindings(findings: Finding[]): Finding[] {
  const sources = new Map<string, string>();
  for (const { file } of findings) {
    if (sources.has(file)) continue;
    const path = [resolve(base, file), resolve(projectRoot, file)].find((f) => existsSync(f));
    if (path) sources.set(file, readFileSync(path, 'utf8'));
  }
  return placeProblems(findings, sources) as Finding[];
}

export function validateFiles(dirs: ValidateDirs): ValidationReport {
  base = dirname(dirs.rulesDir);
  let kb: KnowledgeBase | undefined;
  const problems: Finding[] = [];
  try {
    kb = loadKnowledge(dirs);
  } catch (err) {
    if (!(err instanceof KnowledgeError)) throw err;
    problems.push(...err.problems.map((p): Finding => ({ severity: 'error', ...p })));
  }
  const scenarios =
    dirs.scenariosDir && existsSync(dirs.scenariosDir) ? scenarioProblems(dirs.scenariosDir, kb) : { count: 0, problems: [] };
  problems.push(
    ...scenarios.problems,
    ...schemaReferences(dirs),
    ...cardMarkup(dirs.cardsDir),
    ...(kb ? snomedWithoutDescendants(kb, dirs.rulesDir) : []),
  );
  const ruleTests = dirs.ruleTestsDir ? ruleTestProblems(dirs.ruleTestsDir, kb, show) : { count: 0, problems: [] };
  problems.push(...ruleTests.problems.map((p): Finding => ({ severity: 'error', ...p })));
  if (kb) {
    const schemas = existsSync(join(dirs.rulesDir, 'schemas')) ? join(dirs.rulesDir, 'schemas') : schemasDir;
    problems.push(
      ...valueSetSchemaGaps(schemas, join(dirs.rulesDir, 'valuesets'), [...kb.valueSets.keys()], show).map((p): Finding => ({
        severity: 'warning',
        ...p,
      })),
    );
  }
  const ruleFiles = jsonFiles(dirs.rulesDir).filter(
    (f) => f !== join(dirs.rulesDir, 'findings.json') && f !== join(dirs.rulesDir, 'instruments.json'),
  );
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    ...(kb ? { version: kb.version } : {}),
    counts: {
      ruleFiles: ruleFiles.length,
      rules: countRules(ruleFiles),
      valueSets: jsonFiles(join(dirs.rulesDir, 'valuesets')).length,
      cards: jsonFiles(dirs.cardsDir).filter((f) => basename(f) !== LINKS_FILE).length,
      scenarios: scenarios.count,
      ruleTests: ruleTests.count,
    },
    // validate's own findings get their line and column too, as loading gives its problems.
    problems: placeFindings(problems),
  };
}
