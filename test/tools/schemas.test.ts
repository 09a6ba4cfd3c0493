/** The JSON Schemas editors use are generated from the zod schemas the service checks files with. */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SERVICES } from '../../src/hooks/services.js';
import { isKnownSystem, knownSystems } from '../../src/knowledge/code-systems.js';
import { generateSchemas, schemasDir } from '../../src/cli/json-schemas.js';
import { validateFiles } from '../../src/cli/validate-files.js';
import { ENGINE_FACT_NAMES, FACT_DOCS } from '../../src/knowledge/fact-docs.js';
import { cardsDir, projectRoot, rulesDir } from '../../src/paths.js';
import { scenariosDir } from '../../src/demo/scenarios/load.js';

test.each([...generateSchemas()].map(([name, text]) => [name, text]))(
  'rules/schemas/%s is up to date (else run: npm run schemas)',
  (name, text) => {
    expect(readFileSync(join(schemasDir, name), 'utf8')).toBe(text);
  },
);

test('the generated schemas describe the files: strict objects, known operators, fact names offered', () => {
  const rule = JSON.parse(generateSchemas().get('rule-file.schema.json') ?? '{}') as {
    additionalProperties: boolean;
    definitions: { condition: { anyOf: { properties?: { fact?: { enum?: string[] }; operator?: { enum?: string[] } } }[] } };
  };
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
  type Leaf = {
    properties: {
      fact: { enum: string[]; markdownEnumDescriptions: string[] };
      operator: { enum: string[]; markdownEnumDescriptions: string[] };
    };
    allOf: { if: unknown; then: { properties: { value: { type: string } } } }[];
  };
  const leafOf = (name: string): Leaf | undefined =>
    read<{ definitions: { condition: { anyOf: Partial<Leaf>[] } } }>(name).definitions.condition.anyOf.find((b) => b.properties?.fact) as
      Leaf | undefined;

  test(
    'every fact is an enum value with its meaning, type and source; ' + 'every operator says what it does; numeric operators need a number',
    () => {
      for (const name of ['rule-file.schema.json', 'card.schema.json']) {
        const leaf = leafOf(name);
        expect(leaf?.properties.fact.enum).toEqual([...ENGINE_FACT_NAMES]);
        expect(leaf?.properties.fact.markdownEnumDescriptions).toHaveLength(ENGINE_FACT_NAMES.length);
        expect(leaf?.properties.fact.markdownEnumDescriptions[ENGINE_FACT_NAMES.indexOf('episodeDays')]).toMatch(
          /^Days from the episode's start.*number \(whole days\); from Condition/,
        );
        expect(leaf?.properties.operator.markdownEnumDescriptions).toHaveLength(leaf?.properties.operator.enum.length ?? -1);
        expect(leaf?.allOf[0]?.then.properties.value.type).toBe('number');
      }
      // The help cannot fall behind the code: every fact the engine sees is described.
      expect(Object.keys(FACT_DOCS).sort()).toEqual([...ENGINE_FACT_NAMES].sort());
    },
  );

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
    const settings = JSON.parse(readFileSync(join(projectRoot, '.vscode/settings.json'), 'utf8')) as {
      'json.schemas': { fileMatch: string[]; url: string }[];
    };
    const urls = settings['json.schemas'].map((m) => m.url.replace('./rules/schemas/', ''));
    expect([...urls].sort()).toEqual([...schemas.keys()].sort());
    for (const url of urls) expect(existsSync(join(schemasDir, url))).toBe(true);
  });
});

describe('value set ids, code systems and service ids: the schema offers and refuses what the service does', () => {
  type Definitions = {
    definitions: {
      valueSetId: { enum: string[]; markdownEnumDescriptions: string[] };
      codeSystem: { anyOf: [{ enum: string[]; markdownEnumDescriptions: string[] }, { pattern: string }] };
    };
  };
  const schemas = generateSchemas();
  const read = <T>(name: string): T => JSON.parse(schemas.get(name) ?? '{}') as T;
  const shippedIds = readdirSync(join(rulesDir, 'valuesets'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();

  /** Every "valueSet"-like field of the findings and instruments files, wherever it sits. */
  function namedValueSets(node: unknown, out: string[] = []): string[] {
    if (Array.isArray(node)) node.forEach((n) => namedValueSets(n, out));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'valueSet' || k === 'totalValueSet') && typeof v === 'string') out.push(v);
        else namedValueSets(v, out);
      }
    }
    return out;
  }

  test(
    'findings and instruments offer exactly the shipped value set ids, each ' +
      'with its title on hover, and reference them wherever a value set is named',
    () => {
      for (const name of ['findings.schema.json', 'instruments.schema.json']) {
        const { valueSetId } = read<Definitions>(name).definitions;
        expect([...valueSetId.enum].sort()).toEqual(shippedIds);
        expect(valueSetId.markdownEnumDescriptions[valueSetId.enum.indexOf('red-flag-fever')]).toMatch(
          /^\*\*Fever\*\* \(rules\/valuesets\/red-flag-fever\.json\): Fever recorded as a condition\.$/,
        );
        // No value set field is left as a bare string: every one points at the list.
        expect(schemas.get(name)).not.toMatch(/"(valueSet|totalValueSet)": \{\s*"type": "string"/);
      }
      expect(schemas.get('findings.schema.json')?.match(/"\$ref": "#\/definitions\/valueSetId"/g)?.length).toBeGreaterThanOrEqual(7);
      const named = [
        ...namedValueSets(JSON.parse(readFileSync(join(rulesDir, 'findings.json'), 'utf8'))),
        ...namedValueSets(JSON.parse(readFileSync(join(rulesDir, 'instruments.json'), 'utf8'))),
      ];
      expect(named.length).toBeGreaterThan(10);
      const { enum: offered } = read<Definitions>('findings.schema.json').definitions.valueSetId;
      for (const id of named) expect(offered).toContain(id);
      expect(offered).not.toContain('red-flag-cancers');
    },
  );

  test('the list is made from the value set files when `schemas` runs: a new file is offered, a removed one is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backpain-valuesets-'));
    try {
      cpSync(join(rulesDir, 'valuesets'), dir, { recursive: true });
      writeFileSync(
        join(dir, 'red-flag-new.json'),
        JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'red-flag-hiv.json'), 'utf8')), id: 'red-flag-new', title: 'New flag' }),
      );
      rmSync(join(dir, 'red-flag-trauma.json'));
      const { valueSetId } = (JSON.parse(generateSchemas(dir).get('findings.schema.json') ?? '{}') as Definitions).definitions;
      expect(valueSetId.enum).toContain('red-flag-new');
      expect(valueSetId.enum).not.toContain('red-flag-trauma');
      expect(valueSetId.markdownEnumDescriptions[valueSetId.enum.indexOf('red-flag-new')]).toMatch(/^\*\*New flag\*\*/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('code systems: the schema accepts a spelling exactly when the service does, and offers each known system by name', () => {
    const { codeSystem } = read<Definitions>('valueset.schema.json').definitions;
    const [named, forgiving] = codeSystem.anyOf;
    const pattern = new RegExp(forgiving.pattern);
    const accepted = (system: string): boolean => named.enum.includes(system) || pattern.test(system);
    expect(named.enum).toEqual(expect.arrayContaining(knownSystems()));
    expect(named.enum).toContain('urn:oid:2.16.840.1.113883.6.96');
    expect(named.markdownEnumDescriptions[named.enum.indexOf('http://snomed.info/sct')]).toBe('SNOMED CT');
    const spellings = [
      ...knownSystems(),
      'urn:oid:2.16.840.1.113883.6.90',
      'HTTP://LOINC.ORG',
      'http://snomed.info/sct/',
      ' http://loinc.org// ',
      'http://snomed.info/sctt',
      'http://loinc.og',
      'http://hl7.org/fhir/sid/icd10-cm',
      'http://loinc.org/ /',
      'http://terminology.hl7.org/CodeSystem/condition-clinical',
      'urn:oid:2.16.840.1.113883.6.9',
      'loinc',
      '',
    ];
    for (const system of spellings) expect({ system, accepted: accepted(system) }).toEqual({ system, accepted: isKnownSystem(system) });
    fc.assert(
      fc.property(fc.constantFrom(...knownSystems()), fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (uri, before, after) => {
        const system = `${before}${uri}${after}`;
        expect(accepted(system)).toBe(isKnownSystem(system));
      }),
    );
    // Every system the shipped value sets use is accepted, and points at the one definition.
    for (const file of shippedIds) {
      const vs = JSON.parse(readFileSync(join(rulesDir, 'valuesets', `${file}.json`), 'utf8')) as {
        compose: { include: { system: string }[] };
        expansion: { contains?: { system: string }[] };
      };
      for (const { system } of [...vs.compose.include, ...(vs.expansion.contains ?? [])])
        expect({ file, system, accepted: accepted(system) }).toEqual({ file, system, accepted: true });
    }
    expect(schemas.get('valueset.schema.json')?.match(/"\$ref": "#\/definitions\/codeSystem"/g)).toHaveLength(3);
  });

  test('rule files name only the CDS services there are', () => {
    const rule = read<{ properties: { services: { items: { enum: string[]; markdownEnumDescriptions: string[] } } } }>(
      'rule-file.schema.json',
    );
    expect(rule.properties.services.items.enum).toEqual(SERVICES.map((s) => s.id));
    expect(rule.properties.services.items.markdownEnumDescriptions[0]).toMatch(/\(hook order-select\)/);
  });
});
