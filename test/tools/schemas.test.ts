/** The JSON Schemas editors use are generated from the zod schemas the service checks files with. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemas, schemasDir } from '../../src/knowledge/json-schemas.js';
import { validateFiles } from '../../src/knowledge/validate.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { scenariosDir } from '../../src/scenarios/load.js';

test.each([...generateSchemas()].map(([name, text]) => [name, text]))('rules/schemas/%s is up to date (else run: npm run schemas)', (name, text) => {
  expect(readFileSync(join(schemasDir, name), 'utf8')).toBe(text);
});

test('the generated schemas describe the files: strict objects, known operators, fact names offered', () => {
  const rule = JSON.parse(generateSchemas().get('rule-file.schema.json') ?? '{}') as { additionalProperties: boolean; definitions: { condition: { anyOf: { properties?: { fact?: { examples?: string[] }; operator?: { enum?: string[] } } }[] } } };
  expect(rule.additionalProperties).toBe(false);
  const leaf = rule.definitions.condition.anyOf.find((b) => b.properties?.fact);
  expect(leaf?.properties?.fact?.examples).toEqual(expect.arrayContaining(['episodeDays', 'redFlagCount']));
  expect(leaf?.properties?.operator?.enum).toContain('lessThan');
  const card = JSON.parse(generateSchemas().get('card.schema.json') ?? '{}') as { properties: { indicator: { enum: string[] } } };
  expect(card.properties.indicator.enum).toEqual(['info', 'warning', 'critical']);
});

test('every rule, value set, card and scenario file names its schema in "$schema"', () => {
  const report = validateFiles({ rulesDir, cardsDir, scenariosDir });
  expect(report.problems.filter((p) => p.path === '$schema')).toEqual([]);
  expect(report.counts.scenarios).toBeGreaterThan(0);
});
