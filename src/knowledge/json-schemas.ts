/**
 * JSON Schemas for editors, generated from the zod schemas the service itself checks files with, so
 * the two cannot disagree. `npm run schemas` writes them to rules/schemas/; a test fails when the
 * checked-in copies are out of date.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { rulesDir } from '../paths.js';
import { ScenarioSchema } from '../scenarios/schema.js';
import { CardTemplateSchema, FindingsFileSchema, InstrumentsFileSchema, LinksFileSchema, RuleFileSchema, SnippetFileSchema, ValueSetFileSchema } from './schemas.js';

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
    description: 'rules/instruments.json: the STarT Back and SCOPiC items, answer codes, scoring and cut-offs; the published Questionnaires and finding CodeSystem are made from it.',
  },
  'valueset.schema.json': {
    schema: ValueSetFileSchema,
    title: 'backpain-cds value set',
    description: 'rules/valuesets/<id>.json: a FHIR R4 ValueSet; the service matches its expansion, its explicit concepts and its ICD-10 is-a filters (as code prefixes), minus compose.exclude.',
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
    description: 'cards/links.json: every address a card links to, its publisher and when it was last checked (`backpain-cds links` checks them).',
  },
  'scenario.schema.json': {
    schema: ScenarioSchema,
    title: 'backpain-cds scenario',
    description: 'test/scenarios/<id>.json: a synthetic patient, their draft orders and the rule ids each service must answer with.',
  },
};

/** Which schema a file in the knowledge folders must name in "$schema". */
export function schemaNameFor(kind: 'rule-file' | 'findings' | 'instruments' | 'valueset' | 'card' | 'snippet' | 'links' | 'scenario'): string {
  return `${kind}.schema.json`;
}

/** The text of every schema file, as `npm run schemas` writes it. Draft-07: the draft editors support best. */
export function generateSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, { schema, title, description }] of Object.entries(SCHEMA_FILES)) {
    const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
    out.set(name, `${JSON.stringify({ ...json, title, description }, null, 2)}\n`);
  }
  return out;
}
