import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadKnowledge, type KnowledgeDirs } from '../../src/knowledge/load.js';
import { formatProblem } from '../../src/knowledge/problems.js';
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

describe('the real files', () => {
  test('load with both imaging services sharing one rule file, each rule with its card', () => {
    const kb = loadKnowledge({ rulesDir, cardsDir });
    const imaging = kb.ruleSetFor('back-pain-imaging-select');
    expect(imaging?.services).toEqual(['back-pain-imaging-select', 'back-pain-imaging-sign']);
    expect(kb.ruleSetFor('back-pain-imaging-sign')).toBe(imaging);
    expect(imaging?.rules.map((r) => r.id)).toEqual(['cauda-equina-emergency', 'imaging-repeat', 'imaging-defer']);
    for (const rule of kb.ruleSets.flatMap((set) => set.rules)) expect(kb.cards.has(rule.id)).toBe(true);
    expect(kb.findings.redFlags).toHaveLength(13);
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
    copy.edit('rules/valuesets/red-flag-hiv.json', '"title": "HIV infection"', '"title": "HIV disease"');
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

// Broken files (each mistake an informatician can make) are covered with today's messages in test/tools/validate.test.ts.

describe('formatProblem', () => {
  test('with and without a rule, and with an empty path', () => {
    expect(formatProblem({ file: 'rules/a.json', rule: 'r', path: 'rules[0].id', message: 'bad' })).toBe(
      'rules/a.json (rule "r"): rules[0].id: bad',
    );
    expect(formatProblem({ file: 'rules/a.json', path: '', message: 'not readable JSON' })).toBe('rules/a.json: (file): not readable JSON');
  });
});
