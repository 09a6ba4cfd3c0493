/** The JSON Schemas editors use are generated from the zod schemas the service checks files with. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemas, schemasDir } from '../../src/cli/json-schemas.js';
import { validateFiles } from '../../src/cli/validate-files.js';
import { ENGINE_FACT_NAMES, FACT_DOCS } from '../../src/knowledge/fact-docs.js';
import { cardsDir, projectRoot, rulesDir } from '../../src/paths.js';
import { scenariosDir } from '../../src/demo/scenarios/load.js';

test.each([...generateSchemas()].map(([name, text]) => [name, text]))('rules/schemas/%s is up to date (else run: npm run schemas)', (name, text) => {
  expect(readFileSync(join(schemasDir, name), 'utf8')).toBe(text);
});

test('the generated schemas describe the files: strict objects, known operators, fact names offered', () => {
  const rule = JSON.parse(generateSchemas().get('rule-file.schema.json') ?? '{}') as { additionalProperties: boolean; definitions: { condition: { anyOf: { properties?: { fact?: { enum?: string[] }; operator?: { enum?: string[] } } }[] } } };
  expect(rule.additionalProperties).toBe(false);
  const leaf = rule.definitions.condition.anyOf.find((b) => b.properties?.fact);
  expect(leaf?.properties?.fact?.enum).toEqual(expect.arrayContaining(['episodeDays', 'redFlagCount']));
  expect(leaf?.properties?.operator?.enum).toContain('lessThan');
  const card = JSON.parse(generateSchemas().get('card.schema.json') ?? '{}') as { properties: { indicator: { enum: string[] } } };
  expect(card.properties.indicator.enum).toEqual(['info', 'warning', 'critical']);
});

test('every rule, value set, card and scenario file names its schema in "$schema"', () => {
  const report = validateFiles({ rulesDir, cardsDir, scenariosDir });
  expect(report.problems.filter((p) => p.path === '$schema')).toEqual([]);
  expect(report.counts.scenarios).toBeGreaterThan(0);
});

describe('editor help beyond the structure', () => {
  const schemas = generateSchemas();
  const read = <T>(name: string): T => JSON.parse(schemas.get(name) ?? '{}') as T;
  type Leaf = { properties: { fact: { enum: string[]; markdownEnumDescriptions: string[] }; operator: { enum: string[]; markdownEnumDescriptions: string[] } }; allOf: { if: unknown; then: { properties: { value: { type: string } } } }[] };
  const leafOf = (name: string): Leaf | undefined =>
    read<{ definitions: { condition: { anyOf: Partial<Leaf>[] } } }>(name).definitions.condition.anyOf.find((b) => b.properties?.fact) as Leaf | undefined;

  test('every fact is an enum value with its meaning, type and source; every operator says what it does; numeric operators need a number', () => {
    for (const name of ['rule-file.schema.json', 'card.schema.json']) {
      const leaf = leafOf(name);
      expect(leaf?.properties.fact.enum).toEqual([...ENGINE_FACT_NAMES]);
      expect(leaf?.properties.fact.markdownEnumDescriptions).toHaveLength(ENGINE_FACT_NAMES.length);
      expect(leaf?.properties.fact.markdownEnumDescriptions[ENGINE_FACT_NAMES.indexOf('episodeDays')]).toMatch(/^Days from the episode's start.*number \(whole days\); from Condition/);
      expect(leaf?.properties.operator.markdownEnumDescriptions).toHaveLength(leaf?.properties.operator.enum.length ?? -1);
      expect(leaf?.allOf[0]?.then.properties.value.type).toBe('number');
    }
    // The help cannot fall behind the code: every fact the engine sees is described.
    expect(Object.keys(FACT_DOCS).sort()).toEqual([...ENGINE_FACT_NAMES].sort());
  });

  test('card text: every card file passes the placeholder pattern; unknown placeholders and single braces fail it', () => {
    const card = read<{ properties: { summary: { pattern: string }; detail: { items: { pattern: string } } } }>('card.schema.json');
    const pattern = new RegExp(card.properties.summary.pattern);
    expect(card.properties.detail.items.pattern).toBe(card.properties.summary.pattern);
    // cards/links.json is the list of links, not a card.
    for (const file of readdirSync(cardsDir).filter((f) => f.endsWith('.json') && f !== 'links.json')) {
      const c = JSON.parse(readFileSync(join(cardsDir, file), 'utf8')) as { summary: string; detail: (string | { lines?: string[] })[] };
      // Detail holds lines, blocks of lines with a "when", and snippet includes (no text of their own).
      const lines = c.detail.flatMap((d) => (typeof d === 'string' ? [d] : (d.lines ?? [])));
      for (const text of [c.summary, ...lines]) expect({ file, text, ok: pattern.test(text) }).toEqual({ file, text, ok: true });
    }
    expect(pattern.test('Back pain for {{episode.days}} days; review by {{today.plus.28.days}}.')).toBe(true);
    expect(pattern.test('Back pain for {{episode.day}} days.')).toBe(false);
    expect(pattern.test('Back pain for {episode.days} days.')).toBe(false);
  });

  test('.vscode/settings.json maps every kind of file to its schema, and every schema it names exists', () => {
    const settings = JSON.parse(readFileSync(join(projectRoot, '.vscode/settings.json'), 'utf8')) as { 'json.schemas': { fileMatch: string[]; url: string }[] };
    const urls = settings['json.schemas'].map((m) => m.url.replace('./rules/schemas/', ''));
    expect([...urls].sort()).toEqual([...schemas.keys()].sort());
    for (const url of urls) expect(existsSync(join(schemasDir, url))).toBe(true);
  });
});
