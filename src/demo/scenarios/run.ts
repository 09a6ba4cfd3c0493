/**
 * Runs scenario patients and saved hook requests through the service's own pipeline, in process:
 * the CLI (`test`, `explain`, `cards`) and the preview page use it. No server, no FHIR calls: a
 * scenario request carries every prefetch key.
 */
import { patientContextReader } from '../../context/patient-context.js';
import { parseHookRequest } from '../../hooks/request.js';
import type { ServiceDefinition } from '../../hooks/services.js';
import type { KnowledgeBase } from '../../knowledge/load.js';
import { answer, type HookAnswer, type PipelineDeps } from '../../pipeline/answer.js';
import { readScenario, scenarioFilePaths } from './load.js';
import { scenarioRequest } from './requests.js';
import type { Scenario } from './schema.js';

/** Generous: only a request file without full prefetch reads from its fhirServer. */
const DEADLINE_MS = 10_000;

/** In process, one run at a time: no cap on FHIR reads, no metrics. */
const inProcess: PipelineDeps = { readContext: patientContextReader() };

export async function runRequest(
  knowledge: KnowledgeBase,
  service: ServiceDefinition,
  body: unknown,
  now: Date,
  explain = false,
): Promise<HookAnswer> {
  const parsed = parseHookRequest(service.hook, body, Object.keys(service.prefetch));
  if (!parsed.ok)
    throw new Error(
      `not a valid ${service.hook} request for ${service.id}: ${parsed.issues.map((i) => `${i.path || 'body'}: ${i.message}`).join('; ')}`,
    );
  return answer({ service, request: parsed.request, knowledge, now, deadline: () => AbortSignal.timeout(DEADLINE_MS), explain }, inProcess);
}

/** The scenario at its own `now`, with every prefetch key filled, as an EHR would send it. */
export function runScenario(
  knowledge: KnowledgeBase,
  scenario: Scenario,
  service: ServiceDefinition,
  explain = false,
): Promise<HookAnswer> {
  return runRequest(knowledge, service, scenarioRequest(scenario, service, { prefetch: 'all' }), new Date(scenario.now), explain);
}

export interface ScenarioFile {
  file: string;
  scenario?: Scenario;
  /** Why the file could not be read as a scenario. */
  error?: string;
}

/** Every scenario file in a folder and its sub-folders; a broken one is reported, not fatal, so the others still run. */
export function readScenarioFiles(dir: string): ScenarioFile[] {
  return scenarioFilePaths(dir).map((file) => {
    try {
      return { file, scenario: readScenario(file) };
    } catch (err) {
      return { file, error: (err as Error).message };
    }
  });
}

/** Same rule ids, ignoring order: a scenario lists the cards it expects, not their order. */
export function sameRules(expected: readonly string[], got: readonly string[]): boolean {
  return JSON.stringify([...expected].sort()) === JSON.stringify([...got].sort());
}
