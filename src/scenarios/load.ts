import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { explainIssues, formatPath } from '../knowledge/messages.js';
import { projectRoot } from '../paths.js';
import { ScenarioSchema, type Scenario } from './schema.js';

export const scenariosDir = resolve(projectRoot, 'test/scenarios');

export function readScenario(file: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not readable JSON: ${(err as Error).message}`);
  }
  const result = ScenarioSchema.safeParse(json);
  if (!result.success) {
    throw new Error(`${file}: ${explainIssues(result.error.issues, json).map((i) => `${formatPath(i.path) || '(file)'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

export function readScenarios(dir = scenariosDir): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readScenario(join(dir, f)));
}
