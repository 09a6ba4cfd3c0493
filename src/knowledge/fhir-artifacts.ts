/**
 * The FHIR R4 resources the service publishes, made from the same files the rules use: the STarT
 * Back and SCOPiC Questionnaires and the urn:backpain-cds:finding CodeSystem (rules/instruments.json),
 * and the ValueSet files in rules/valuesets/ themselves. Pure.
 */
import type { CodeSystem, Questionnaire, QuestionnaireItem, ValueSet } from 'fhir/r4.js';
import type { InstrumentsFile, ValueSetFile } from './schemas.js';

export type Artifact = Questionnaire | CodeSystem | ValueSet;

export const VALUE_SET_URL_PREFIX = 'urn:backpain-cds:valueset:';

/** FHIR's name is a computer-friendly identifier (que-0, vsd-0): "red-flag-hiv" → "RedFlagHiv". */
export function machineName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');
}

const ORDINAL_VALUE = 'http://hl7.org/fhir/StructureDefinition/ordinalValue';
const MIN_VALUE = 'http://hl7.org/fhir/StructureDefinition/minValue';
const MAX_VALUE = 'http://hl7.org/fhir/StructureDefinition/maxValue';

/** What every published Questionnaire says about itself, from its entry in rules/instruments.json. */
function questionnaireHeader(q: { id: string; url: string; title: string; description: string }): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    id: q.id,
    url: q.url,
    name: machineName(q.id),
    title: q.title,
    status: 'active',
    subjectType: ['Patient'],
    description: q.description,
  };
}

export function startBackQuestionnaire(instruments: InstrumentsFile): Questionnaire {
  const { startBack, findingSystem } = instruments;
  return {
    ...questionnaireHeader(startBack.questionnaire),
    item: startBack.items.map((item): QuestionnaireItem => {
      // R4 allows answerOption only on choice items (que-5): items 1-8 are booleans, true = agree.
      if (item.type === 'boolean') return { linkId: item.linkId, text: item.text, type: 'boolean', required: true };
      return {
        linkId: item.linkId,
        text: item.text,
        type: 'choice',
        required: true,
        answerOption: item.answers.map((a) => ({
          extension: [{ url: ORDINAL_VALUE, valueDecimal: a.score }],
          valueCoding: { system: findingSystem.url, code: a.code, display: a.display },
        })),
      };
    }),
  };
}

export function scopicQuestionnaire(instruments: InstrumentsFile): Questionnaire {
  const { scopic, findingSystem } = instruments;
  return {
    ...questionnaireHeader(scopic.questionnaire),
    item: scopic.items.map((item): QuestionnaireItem => ({
      linkId: item.code,
      // The item code is the Observation code the service reads, so answers can be extracted as Observations.
      code: [{ system: findingSystem.url, code: item.code, display: item.display }],
      text: item.question,
      type: item.type,
      required: true,
      ...(item.type === 'integer'
        ? {
            extension: [
              { url: MIN_VALUE, valueInteger: item.minValue },
              { url: MAX_VALUE, valueInteger: item.maxValue },
            ],
          }
        : {}),
    })),
  };
}

export function findingCodeSystem(instruments: InstrumentsFile): CodeSystem {
  const { findingSystem, startBack, scopic } = instruments;
  const concept = [
    {
      code: startBack.psychosocialCode.code,
      display: startBack.psychosocialCode.display,
      definition: 'Sum of STarT Back items 5 to 9 (0 to 5).',
    },
    ...startBack.items.flatMap((item) =>
      item.type === 'choice'
        ? item.answers.map((a) => ({
            code: a.code,
            display: a.display,
            definition: `Answer to STarT Back item ${item.linkId} ("${item.text}"); scores ${a.score}.`,
          }))
        : [],
    ),
    ...scopic.items.map((item) => ({
      code: item.code,
      display: item.display,
      definition:
        `${item.question} ` +
        (item.type === 'integer'
          ? `valueInteger ${item.minValue} to ${item.maxValue}; positive above ${item.positiveAbove}.`
          : 'valueBoolean; positive when true.'),
    })),
  ];
  return {
    resourceType: 'CodeSystem',
    id: findingSystem.id,
    url: findingSystem.url,
    name: machineName(findingSystem.id),
    title: findingSystem.title,
    status: 'active',
    description: findingSystem.description,
    caseSensitive: true,
    content: 'complete',
    count: concept.length,
    concept,
  };
}

/** The file is the resource: everything but the editor's "$schema" key. */
export function valueSetResource(file: ValueSetFile): ValueSet {
  const { $schema: _editorSchema, ...resource } = file;
  return resource;
}

export function fhirArtifacts(knowledge: {
  instruments: InstrumentsFile;
  valueSets: ReadonlyMap<string, { file: ValueSetFile }>;
}): Artifact[] {
  return [
    startBackQuestionnaire(knowledge.instruments),
    scopicQuestionnaire(knowledge.instruments),
    findingCodeSystem(knowledge.instruments),
    ...[...knowledge.valueSets.values()].map((vs) => valueSetResource(vs.file)).sort((a, b) => (a.id ?? '').localeCompare(b.id ?? '')),
  ];
}
