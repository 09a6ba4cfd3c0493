/**
 * JSON Schemas for editors, generated from the zod schemas the service itself checks files with, so
 * the two cannot disagree. `npm run schemas` writes them to rules/schemas/; a test fails when the
 * checked-in copies are out of date.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { CARD_VARIABLE_NAMES } from '../cards/variables.js';
import { rulesDir } from '../paths.js';
import { ENGINE_FACT_NAMES, factDocText, OPERATOR_DOCS } from '../knowledge/fact-docs.js';
import { valueSetEntries, withNameEnums } from './schema-enums.js';
import { RuleTestSchema } from './rule-tests.js';
import { ScenarioSchema } from '../demo/scenarios/schema.js';
import {
  CardTemplateSchema,
  FindingsFileSchema,
  InstrumentsFileSchema,
  LinksFileSchema,
  RuleFileSchema,
  SnippetFileSchema,
  ValueSetFileSchema,
} from '../knowledge/schemas.js';

export const schemasDir = join(rulesDir, 'schemas');

interface SchemaFile {
  schema: z.ZodType;
  title: string;
  description: string;
}

export const SCHEMA_FILES: Readonly<Record<string, SchemaFile>> = {
  'rule-file.schema.json': {
    schema: RuleFileSchema,
    title: 'backpain-cds rule file',
    description: 'rules/<name>.json: the json-rules-engine rules of one or more CDS services.',
  },
  'findings.schema.json': {
    schema: FindingsFileSchema,
    title: 'backpain-cds red flags and cauda equina signs',
    description: 'rules/findings.json: each finding, its value set and its look-back window.',
  },
  'instruments.schema.json': {
    schema: InstrumentsFileSchema,
    title: 'backpain-cds STarT Back and SCOPiC instruments',
    description:
      'rules/instruments.json: the STarT Back and SCOPiC items, answer codes, scoring and cut-offs; ' +
      'the published Questionnaires and finding CodeSystem are made from it.',
  },
  'valueset.schema.json': {
    schema: ValueSetFileSchema,
    title: 'backpain-cds value set',
    description:
      'rules/valuesets/<id>.json: a FHIR R4 ValueSet; the service matches its expansion, its explicit concepts ' +
      'and its ICD-10 is-a filters (as code prefixes), minus compose.exclude.',
  },
  'card.schema.json': {
    schema: CardTemplateSchema,
    title: 'backpain-cds card template',
    description: 'cards/<rule id>.json: the CDS Hooks card a rule shows, with {{placeholders}} filled from the facts.',
  },
  'snippet.schema.json': {
    schema: SnippetFileSchema,
    title: 'backpain-cds card snippet',
    description: 'cards/snippets/<id>.json: lines several cards share, included with {"include": "<id>"} in a card\'s detail.',
  },
  'links.schema.json': {
    schema: LinksFileSchema,
    title: 'backpain-cds links',
    description:
      'cards/links.json: every address a card links to, its publisher and when it was last checked (`backpain-cds links` checks them).',
  },
  'scenario.schema.json': {
    schema: ScenarioSchema,
    title: 'backpain-cds scenario',
    description: 'test/scenarios/<id>.json: a synthetic patient, their draft orders and the rule ids each service must answer with.',
  },
  'rule-test.schema.json': {
    schema: RuleTestSchema,
    title: 'backpain-cds rule test',
    description:
      'test/rule-tests/<id>.json: fact values given directly, the rules that must (not) fire, the cards and the words they must show.',
  },
};

/** Which schema a file in the knowledge folders must name in "$schema". */
export function schemaNameFor(
  kind: 'rule-file' | 'findings' | 'instruments' | 'valueset' | 'card' | 'snippet' | 'links' | 'scenario' | 'rule-test',
): string {
  return `${kind}.schema.json`;
}

type JsonObject = Record<string, unknown>;

const NUMERIC_OPERATORS = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Card text may hold only known {{placeholders}} and no {single.braces}: the same refusals as
 * `validate`, as a pattern an editor underlines while the informatician types.
 */
export function placeholderPattern(): string {
  const names = CARD_VARIABLE_NAMES.map((n) => escapeRegExp(n).replace('<n>', '\\d{1,4}').replace('<name>', '[a-z][A-Za-z0-9]*')).join('|');
  return `^(?![\\s\\S]*\\{\\{(?!(?:${names})\\}\\}))(?![\\s\\S]*(?:^|[^{])\\{(?:today|[A-Za-z]\\w*\\.[\\w.]*)\\}(?!\\}))[\\s\\S]*$`;
}

/** A schema's own description, to which the placeholder help is appended. */
const describedAs = (schema: JsonObject): string => (typeof schema.description === 'string' ? schema.description : '');

const PLACEHOLDER_HELP =
  `{{placeholders}} filled from the record: ${CARD_VARIABLE_NAMES.map((n) => `{{${n}}}`).join(', ')}. ` + 'Single braces are refused.';

/**
 * A detail item is a line, a block of lines with a "when", or a snippet include: the pattern goes on
 * every text line, wherever it sits, and on the item itself for editors that read it there.
 */
function withTextPattern(items: JsonObject, pattern: string): JsonObject {
  const branches = (items.anyOf as JsonObject[] | undefined)?.map((b): JsonObject => {
    if (b.type === 'string') return { ...b, pattern };
    const props = b.properties as Record<string, JsonObject> | undefined;
    if (!props?.lines) return b;
    return { ...b, properties: { ...props, lines: { ...props.lines, items: { ...(props.lines.items as JsonObject), pattern } } } };
  });
  return { ...items, ...(branches ? { anyOf: branches } : {}), pattern };
}

/**
 * What zod cannot say for editors: each fact and operator with its meaning (VS Code shows
 * markdownEnumDescriptions on hover and in completion), numbers required for numeric operators, and
 * known placeholders only in card text. The service checks the same things when it loads the files.
 */
function enrich(json: JsonObject): JsonObject {
  const condition = (json.definitions as JsonObject | undefined)?.condition as { anyOf?: JsonObject[] } | undefined;
  const leaf = condition?.anyOf?.find((b) => (b.properties as JsonObject | undefined)?.fact);
  if (leaf) {
    const props = leaf.properties as Record<string, JsonObject>;
    props.fact = {
      type: 'string',
      enum: [...ENGINE_FACT_NAMES],
      markdownEnumDescriptions: ENGINE_FACT_NAMES.map(factDocText),
      description: 'A fact the service computes for the patient. `npx backpain-cds rules` shows which rules use it.',
    };
    const operators = (props.operator?.enum as string[] | undefined) ?? [];
    props.operator = { ...props.operator, markdownEnumDescriptions: operators.map((o) => OPERATOR_DOCS[o] ?? o) };
    leaf.allOf = [
      {
        if: { properties: { operator: { enum: NUMERIC_OPERATORS } } },
        then: {
          properties: {
            value: {
              type: 'number',
              description: 'A number without quotes: "42" in quotes never compares as a number, so the rule would never fire.',
            },
          },
        },
      },
    ];
  }
  const props = json.properties as Record<string, JsonObject> | undefined;
  if (props?.summary && props.detail && props.rule) {
    const pattern = placeholderPattern();
    props.summary = { ...props.summary, pattern, description: `${describedAs(props.summary)} ${PLACEHOLDER_HELP}` };
    props.detail = {
      ...props.detail,
      items: withTextPattern(props.detail.items as JsonObject, pattern),
      description: `${describedAs(props.detail)} ${PLACEHOLDER_HELP}`,
    };
  }
  return json;
}

/**
 * The text of every schema file, as `npm run schemas` writes it. Draft-07: the draft editors support
 * best. The value set ids offered are those in valueSetsDir (the shipped rules/valuesets/) now, so
 * a new value set needs the schemas made again; `validate` warns when they were not.
 */
export function generateSchemas(valueSetsDir: string = join(rulesDir, 'valuesets')): Map<string, string> {
  const out = new Map<string, string>();
  const valueSets = valueSetEntries(valueSetsDir);
  for (const [name, { schema, title, description }] of Object.entries(SCHEMA_FILES)) {
    const json = withNameEnums(enrich(z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' })), valueSets);
    out.set(name, `${JSON.stringify({ ...json, title, description }, null, 2)}\n`);
  }
  return out;
}
