import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { KnowledgeError, formatProblem, loadKnowledge, type KnowledgeDirs, type Problem } from '../../src/knowledge/load.js';
import type { ValueSetFile } from '../../src/knowledge/schemas.js';
import { cardsDir, projectRoot, rulesDir } from '../../src/paths.js';

/** A private copy of rules/ and cards/ in the OS temp dir, to break one way per test. */
interface Copy extends KnowledgeDirs {
  /** The name the loader shows for a file in the copy (relative to the project root). */
  shown(path: string): string;
  edit(path: string, from: string, to: string): void;
  write(path: string, text: string): void;
  read(path: string): string;
  remove(path: string): void;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function copyKnowledge(): Copy {
  const root = mkdtempSync(join(tmpdir(), 'backpain-kb-'));
  roots.push(root);
  cpSync(rulesDir, join(root, 'rules'), { recursive: true });
  cpSync(cardsDir, join(root, 'cards'), { recursive: true });
  const at = (path: string): string => join(root, path);
  return {
    rulesDir: at('rules'),
    cardsDir: at('cards'),
    shown: (path) => relative(projectRoot, at(path)),
    read: (path) => readFileSync(at(path), 'utf8'),
    write: (path, text) => writeFileSync(at(path), text),
    remove: (path) => rmSync(at(path)),
    edit(path, from, to) {
      const text = readFileSync(at(path), 'utf8');
      // Fail loudly if the real files change so that the edit no longer applies.
      if (text.split(from).length !== 2) throw new Error(`expected exactly one ${JSON.stringify(from)} in ${path}`);
      writeFileSync(at(path), text.replace(from, to));
    },
  };
}

function problemsOf(dirs: KnowledgeDirs): Problem[] {
  try {
    loadKnowledge(dirs);
  } catch (err) {
    if (err instanceof KnowledgeError) return err.problems;
    throw err;
  }
  throw new Error('the knowledge base loaded without problems');
}

const RULES = 'rules/back-pain-imaging.json';

describe('the real files', () => {
  test('load with both imaging services, three rules and three cards', () => {
    const kb = loadKnowledge({ rulesDir, cardsDir });
    expect(kb.ruleSets).toHaveLength(1);
    expect(kb.ruleSetFor('back-pain-imaging-select')?.services).toEqual(['back-pain-imaging-select', 'back-pain-imaging-sign']);
    expect([...kb.cards.keys()].sort()).toEqual(['cauda-equina-emergency', 'imaging-defer', 'imaging-repeat']);
    expect(kb.findings.redFlags).toHaveLength(12);
    expect(kb.findings.caudaEquina.window).toEqual({ kind: 'days', days: 30 });
  });

  test('version is a 16-hex-digit hash, the same on every load of the same files', () => {
    const a = loadKnowledge({ rulesDir, cardsDir });
    const b = loadKnowledge({ rulesDir, cardsDir });
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(b.version).toBe(a.version);
  });

  test('version changes when a file changes and comes back when the change is undone', () => {
    const copy = copyKnowledge();
    const before = loadKnowledge(copy).version;
    const original = copy.read('rules/valuesets/red-flag-hiv.json');
    copy.edit('rules/valuesets/red-flag-hiv.json', '"HIV disease and asymptomatic HIV infection status."', '"HIV disease and HIV infection status."');
    const changed = loadKnowledge(copy).version;
    expect(changed).toMatch(/^[0-9a-f]{16}$/);
    expect(changed).not.toBe(before);
    copy.write('rules/valuesets/red-flag-hiv.json', original);
    expect(loadKnowledge(copy).version).toBe(before);
  });

  test('version changes when a card changes', () => {
    const copy = copyKnowledge();
    const before = loadKnowledge(copy).version;
    copy.edit('cards/imaging-repeat.json', '"Remove the repeat lumbar imaging order"', '"Remove the repeat order"');
    expect(loadKnowledge(copy).version).not.toBe(before);
  });

  test('valueSet() throws for an id that is not loaded', () => {
    expect(() => loadKnowledge({ rulesDir, cardsDir }).valueSet('nope')).toThrow('value set "nope" is not loaded');
  });
});

describe('a broken file is rejected with a problem naming file, rule and path', () => {
  test('unknown fact in a condition', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '"fact": "episodeDays"', '"fact": "episodeLength"');
    expect(problemsOf(copy)).toEqual([
      {
        file: copy.shown(RULES),
        rule: 'imaging-defer',
        path: 'rules[2].conditions',
        message:
          'unknown fact "episodeLength"; known facts: ageYears, openEpisode, episodeDays, sciatica, redFlagCount, caudaEquinaSignCount, priorLumbarImagingDaysAgo',
      },
    ]);
  });

  test('a rule without a card', () => {
    const copy = copyKnowledge();
    copy.remove('cards/imaging-repeat.json');
    expect(problemsOf(copy)).toEqual([
      { file: copy.shown(RULES), rule: 'imaging-repeat', path: 'rules[1].id', message: 'no card template: add cards/imaging-repeat.json' },
    ]);
  });

  test('a card placeholder that is not a card variable', () => {
    const copy = copyKnowledge();
    copy.edit('cards/imaging-defer.json', 'back pain for {{episode.days}} days', 'back pain for {{episode.length}} days');
    const problems = problemsOf(copy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: copy.shown('cards/imaging-defer.json'), rule: 'imaging-defer', path: 'placeholders' });
    expect(problems[0]?.message).toMatch(/^\{\{episode\.length\}\} is not a card variable; known: today, patient\.reference, /);
  });

  test('findings.json naming a value set that does not exist', () => {
    const copy = copyKnowledge();
    copy.edit('rules/findings.json', '"valueSet": "red-flag-trauma"', '"valueSet": "red-flag-traumas"');
    expect(problemsOf(copy)).toEqual([
      {
        file: copy.shown('rules/findings.json'),
        path: 'redFlags[9].valueSet',
        message: 'value set "red-flag-traumas" does not exist in rules/valuesets/ (add rules/valuesets/red-flag-traumas.json or fix the name)',
      },
    ]);
  });

  test('findings.json naming a missing observation value set', () => {
    const copy = copyKnowledge();
    copy.edit('rules/findings.json', '"valueSet": "body-temperature"', '"valueSet": "temperature"');
    expect(problemsOf(copy)).toEqual([
      expect.objectContaining({ file: copy.shown('rules/findings.json'), path: 'redFlags[11].observation.valueSet' }),
    ]);
  });

  test('a duplicate code in a value set', () => {
    const copy = copyKnowledge();
    const path = 'rules/valuesets/red-flag-hiv.json';
    const file = JSON.parse(copy.read(path)) as ValueSetFile;
    const first = file.codes[0];
    if (!first) throw new Error('empty value set');
    copy.write(path, JSON.stringify({ ...file, codes: [...file.codes, { ...first, display: 'again' }] }, null, 2));
    expect(problemsOf(copy)).toEqual([
      { file: copy.shown(path), path: 'codes[3]', message: 'duplicate code http://hl7.org/fhir/sid/icd-10-cm|B20: remove one of them' },
    ]);
  });

  test('invalid JSON in a rule file', () => {
    const copy = copyKnowledge();
    copy.write(RULES, copy.read(RULES).slice(0, 200));
    const problems = problemsOf(copy);
    expect(problems[0]).toEqual({ file: copy.shown(RULES), path: '', message: expect.stringMatching(/^not readable JSON: /) });
    // Its cards then have no rule: each says so.
    expect(problems.slice(1).map((p) => p.rule)).toEqual(['cauda-equina-emergency', 'imaging-defer', 'imaging-repeat']);
    expect(problems.slice(1).every((p) => p.message === 'no rule with this id in rules/')).toBe(true);
  });

  test('invalid JSON in a value set', () => {
    const copy = copyKnowledge();
    copy.write('rules/valuesets/red-flag-hiv.json', '{ "id": "red-flag-hiv", ');
    expect(problemsOf(copy)).toContainEqual({
      file: copy.shown('rules/valuesets/red-flag-hiv.json'),
      path: '',
      message: expect.stringMatching(/^not readable JSON: /),
    });
  });

  test('a wrong operator names the file, the rule and its conditions', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '{ "fact": "caudaEquinaSignCount", "operator": "greaterThan"', '{ "fact": "caudaEquinaSignCount", "operator": "greaterThanOrEqual"');
    expect(problemsOf(copy)[0]).toMatchObject({ file: copy.shown(RULES), rule: 'cauda-equina-emergency', path: expect.stringMatching(/^rules\[0\]\.conditions/) });
  });

  // BUG (src/knowledge/load.ts:89-99 with the z.union in src/knowledge/schemas.ts:80-103): a wrong
  // operator is reported as "Invalid input" at rules[0].conditions; the operator field and the
  // allowed operators are lost inside zod's invalid_union issue.
  test.failing('a wrong operator names the operator field and the allowed operators', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '{ "fact": "caudaEquinaSignCount", "operator": "greaterThan"', '{ "fact": "caudaEquinaSignCount", "operator": "greaterThanOrEqual"');
    expect(problemsOf(copy)[0]).toEqual({
      file: copy.shown(RULES),
      rule: 'cauda-equina-emergency',
      path: 'rules[0].conditions.all[2].operator',
      message: expect.stringContaining('greaterThanInclusive'),
    });
  });

  test('suggestions without selectionBehavior', () => {
    const copy = copyKnowledge();
    copy.edit('cards/imaging-defer.json', '"selectionBehavior": "at-most-one",', '');
    expect(problemsOf(copy)).toEqual([
      {
        file: copy.shown('cards/imaging-defer.json'),
        rule: 'imaging-defer',
        path: 'selectionBehavior',
        message: 'cards with suggestions need selectionBehavior ("at-most-one" or "any")',
      },
    ]);
  });

  test('replaces naming a rule that is not in the file', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '"replaces": ["imaging-defer"]', '"replaces": ["imaging-deferral"]');
    expect(problemsOf(copy)).toEqual([
      { file: copy.shown(RULES), rule: 'imaging-repeat', path: 'rules[1].replaces', message: 'replaces "imaging-deferral", which is not a rule in this file' },
    ]);
  });

  test('a schema error inside a rule names the rule id (title missing)', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '"title": "Repeat lumbar imaging within a year",', '');
    expect(problemsOf(copy)[0]).toMatchObject({ file: copy.shown(RULES), rule: 'imaging-repeat', path: 'rules[1].title' });
  });

  test('a value set whose id differs from its file name', () => {
    const copy = copyKnowledge();
    copy.edit('rules/valuesets/red-flag-hiv.json', '"id": "red-flag-hiv"', '"id": "hiv"');
    expect(problemsOf(copy)).toContainEqual({
      file: copy.shown('rules/valuesets/red-flag-hiv.json'),
      path: 'id',
      message: 'id "hiv" must equal the file name "red-flag-hiv"',
    });
  });

  test('a missing required value set (back-pain)', () => {
    const copy = copyKnowledge();
    copy.remove('rules/valuesets/back-pain.json');
    expect(problemsOf(copy)).toEqual([
      {
        file: 'rules/valuesets',
        path: 'back-pain',
        message: 'value set "back-pain" does not exist in rules/valuesets/ (add rules/valuesets/back-pain.json or fix the name)',
      },
    ]);
  });

  test('every problem is listed, not just the first', () => {
    const copy = copyKnowledge();
    copy.edit(RULES, '"fact": "episodeDays"', '"fact": "episodeLength"');
    copy.edit('cards/imaging-defer.json', '"selectionBehavior": "at-most-one",', '');
    expect(problemsOf(copy).map((p) => p.path).sort()).toEqual(['rules[2].conditions', 'selectionBehavior']);
  });

  test('the KnowledgeError message has one formatted line per problem', () => {
    const copy = copyKnowledge();
    copy.remove('cards/imaging-repeat.json');
    let error: unknown;
    try {
      loadKnowledge(copy);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KnowledgeError);
    expect((error as KnowledgeError).name).toBe('KnowledgeError');
    expect((error as KnowledgeError).message).toBe(
      `${copy.shown(RULES)} (rule "imaging-repeat"): rules[1].id: no card template: add cards/imaging-repeat.json`,
    );
  });
});

describe('formatProblem', () => {
  test('with and without a rule, and with an empty path', () => {
    expect(formatProblem({ file: 'rules/a.json', rule: 'r', path: 'rules[0].id', message: 'bad' })).toBe('rules/a.json (rule "r"): rules[0].id: bad');
    expect(formatProblem({ file: 'rules/a.json', path: '', message: 'not readable JSON' })).toBe('rules/a.json: (file): not readable JSON');
  });
});
