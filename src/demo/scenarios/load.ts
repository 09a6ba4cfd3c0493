import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFileContent } from '../../knowledge/messages.js';
import { projectRoot } from '../../paths.js';
import { ScenarioSchema, type Scenario } from './schema.js';

export const scenariosDir = resolve(projectRoot, 'test/scenarios');

export function readScenario(file: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseFileContent(ScenarioSchema, json, file);
}

/**
 * Every scenario file in `dir` and its sub-folders (e.g. test/scenarios/real-world/), sorted by
 * path: a corpus can be grouped in folders and still be run, validated, seeded and previewed.
 */
export function scenarioFilePaths(dir = scenariosDir): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f))
    .sort();
}

export function readScenarios(dir = scenariosDir): Scenario[] {
  return scenarioFilePaths(dir).map((f) => readScenario(f));
}
