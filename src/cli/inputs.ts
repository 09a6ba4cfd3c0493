/**
 * What `explain` and `cards` run: a scenario file (each service it has expectations for, at the
 * scenario's own time) or a saved CDS Hooks request (each service for its hook, now).
 */
import { readFileSync } from 'node:fs';
import { SERVICES, type ServiceDefinition } from '../hooks/services.js';
import type { HookAnswer } from '../pipeline/answer.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { readScenario } from '../demo/scenarios/load.js';
import { scenarioRequest } from '../demo/scenarios/requests.js';
import { runRequest } from '../demo/scenarios/run.js';
import { CliError } from './io.js';

export interface CallOptions {
  service?: string;
  now?: string;
}

export interface Call {
  service: ServiceDefinition;
  body: unknown;
  now: Date;
}

function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CliError(`--now "${value}" is not a date: use an ISO date such as 2026-11-23T10:00:00Z`);
  return date;
}

export function callsFor(file: string, knowledge: KnowledgeBase, options: CallOptions): Call[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`${file}: not readable JSON: ${(err as Error).message}`);
  }
  const offered = SERVICES.filter((s) => knowledge.ruleSetFor(s.id));
  if (options.service && !offered.some((s) => s.id === options.service)) {
    throw new CliError(
      `--service "${options.service}" is not a service with rules loaded (services: ${offered.map((s) => s.id).join(', ')})`,
    );
  }
  const chosen = (candidates: ServiceDefinition[]): ServiceDefinition[] =>
    options.service ? candidates.filter((s) => s.id === options.service) : candidates;
  const now = parseNow(options.now);

  const request = json as { hook?: unknown; context?: unknown };
  if (typeof request.hook === 'string' && request.context !== undefined) {
    const services = chosen(offered.filter((s) => s.hook === request.hook));
    if (!services.length) {
      throw new CliError(
        `${file}: no service${options.service ? ` "${options.service}"` : ''} answers the hook "${String(request.hook)}" ` +
          `(services: ${offered.map((s) => `${s.id} (${s.hook})`).join(', ')})`,
      );
    }
    return services.map((service) => ({ service, body: json, now: now ?? new Date() }));
  }

  let scenario;
  try {
    scenario = readScenario(file);
  } catch (err) {
    throw new CliError(
      `${(err as Error).message}\n(a file for explain or cards is a scenario, or a CDS Hooks request with "hook" and "context")`,
    );
  }
  const expected = offered.filter((s) => scenario.expect[s.id] !== undefined);
  const services = chosen(options.service ? offered : expected.length ? expected : offered);
  return services.map((service) => ({
    service,
    body: scenarioRequest(scenario, service, { prefetch: 'all' }),
    now: now ?? new Date(scenario.now),
  }));
}

export async function runCall(knowledge: KnowledgeBase, call: Call, explain: boolean): Promise<HookAnswer> {
  try {
    return await runRequest(knowledge, call.service, call.body, call.now, explain);
  } catch (err) {
    throw new CliError(`${call.service.id}: ${(err as Error).message}`);
  }
}
