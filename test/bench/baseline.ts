/**
 * `npm run bench -- --baseline <ref>`: service CPU per hook call of a baseline build and of this one,
 * measured side by side in one run. Both services run as the full bench runs one (dist/src/main.js,
 * the image's NODE_OPTIONS, info logs, card log on) and read the same demo FHIR server process (this
 * build's), with the same scenarios (this build's scenarios and WORKLOADS; each side gets the prefetch
 * keys its own build's service asks for), so only the service differs. Rounds alternate which build
 * goes first (baseline-plan.ts); each measurement is a fixed number of requests on 8 connections,
 * and its CPU comes from /proc (user + system) over the 2xx answers. Writes bench-results/baseline.md
 * and baseline.json, and prints the table.
 */
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVICES, type ServiceDefinition } from '../../src/hooks/services.js';
import { projectRoot } from '../../src/paths.js';
import { shiftScenario, shiftToToday } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { temporarySchema, type TemporarySchema } from '../../scripts/pg-schema.js';
import { WORKLOADS } from '../../scripts/workloads.js';
import { baselineMain, gitHead, prepareBaseline } from './baseline-build.js';
import {
  describeRuleCheck,
  formatTable,
  roundOrder,
  summarise,
  type BaselineOptions,
  type Measurement,
  type RuleCheck,
  type Side,
} from './baseline-plan.js';
import { cpuSeconds, startProcess, type Running } from './processes.js';
import { IMAGE_NODE_OPTIONS, serviceEnv } from './service-env.js';

const CONNECTIONS = 8;
/**
 * Each measurement's window stays open this long after the last answer, so the work a call leaves
 * behind (the card log writes its batch 100 ms later) is charged to it and not to the next one.
 */
const SETTLE_MS = 300;
const out = join(projectRoot, 'bench-results');
const logDir = join(out, 'logs');

interface Load {
  name: string;
  serviceId: string;
  /** The same scenario for both sides, each with the prefetch keys its own build's service asks for. */
  body: Record<Side, string>;
}

/** The baseline build's own service definitions: an older build may name its prefetch keys otherwise. */
async function servicesOf(dir: string): Promise<readonly ServiceDefinition[]> {
  const mod = (await import(pathToFileURL(join(dir, 'dist/src/hooks/services.js')).href)) as { SERVICES: readonly ServiceDefinition[] };
  return mod.SERVICES;
}

function loads(services: readonly string[], fhirUrl: string, baselineServices: readonly ServiceDefinition[]): Load[] {
  const chosen = SERVICES.filter((s) => services.length === 0 || services.some((part) => s.id.includes(part)));
  if (chosen.length === 0) throw new Error(`no service id contains any of ${services.join(', ')}`);
  return chosen.flatMap((service) => {
    const scenarioId = WORKLOADS[service.id];
    if (!scenarioId) throw new Error(`no benchmark workload for ${service.id}: add one to WORKLOADS`);
    const old = baselineServices.find((s) => s.id === service.id);
    if (!old) throw new Error(`the baseline build has no service ${service.id}: choose others with --services`);
    const raw = readScenario(join(scenariosDir, `${scenarioId}.json`));
    const scenario = shiftScenario(raw, shiftToToday(raw, new Date()));
    const bodies = (options: Parameters<typeof scenarioRequest>[2]): Record<Side, string> => ({
      baseline: JSON.stringify(scenarioRequest(scenario, old, options)),
      current: JSON.stringify(scenarioRequest(scenario, service, options)),
    });
    return [
      { name: `${service.id}, full prefetch`, serviceId: service.id, body: bodies({ prefetch: 'all' }) },
      { name: `${service.id}, fetch path`, serviceId: service.id, body: bodies({ prefetch: 'none', fhirServer: fhirUrl }) },
    ];
  });
}

/** The rule ids (source.topic.code) of a build's cards for one load; a non-2xx answer stops the run. */
async function ruleIds(base: string, side: Side, load: Load): Promise<string[]> {
  const res = await fetch(`${base}/cds-services/${load.serviceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: load.body[side],
  });
  const text = await res.text();
  if (res.status < 200 || res.status >= 300)
    throw new Error(`${side} build answered ${load.name} with ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text) as { cards?: { source?: { topic?: { code?: string } } }[] };
  return (json.cards ?? []).map((c) => c.source?.topic?.code ?? '(no topic)').sort();
}

function fire(base: string, side: Side, load: Load, amount: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${base}/cds-services/${load.serviceId}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: load.body[side],
    connections: CONNECTIONS,
    amount,
    // autocannon checks for the end once per sample: at its default of 1 s a short run would be timed as a second.
    sampleInt: 10,
  });
}

function cpu(p: Running): number {
  const s = p.child.pid === undefined ? undefined : cpuSeconds(p.child.pid);
  if (s === undefined) throw new Error(`${p.name} is gone; see ${p.logFile}`);
  return s;
}

async function measure(
  side: Side,
  round: number,
  base: string,
  service: Running,
  fhir: Running,
  load: Load,
  amount: number,
): Promise<Measurement> {
  const s0 = cpu(service);
  const f0 = cpu(fhir);
  const r = await fire(base, side, load, amount);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const serviceSeconds = cpu(service) - s0;
  const fhirSeconds = cpu(fhir) - f0;
  const ok = r['2xx'];
  if (ok === 0) throw new Error(`${side} build answered no ${load.name} call with 2xx (non-2xx ${r.non2xx}, errors ${r.errors})`);
  if (r.non2xx || r.errors) process.stderr.write(`  ${side} ${load.name}: ${r.non2xx} non-2xx, ${r.errors} errors\n`);
  return {
    workload: load.name,
    round,
    side,
    serviceMsPerCall: (serviceSeconds * 1000) / ok,
    fhirMsPerCall: (fhirSeconds * 1000) / ok,
    reqPerSec: ok / ((r.finish.getTime() - r.start.getTime()) / 1000),
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export async function runBaseline(options: BaselineOptions): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  const build = prepareBaseline(options.source, projectRoot);
  process.stderr.write(
    `baseline: ${build.label}, ${build.prepared}${build.prepared === 'built' ? ` in ${build.seconds} s` : ''} (${build.dir})\n`,
  );
  const database = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const data = mkdtempSync(join(tmpdir(), 'backpain-bench-baseline-'));
  const schemas: TemporarySchema[] = [];
  const running: Running[] = [];
  try {
    const sideEnv = async (side: Side): Promise<NodeJS.ProcessEnv> => {
      const schema = database ? await temporarySchema(database, `bench_${side}`) : undefined;
      if (schema) schemas.push(schema);
      return serviceEnv(join(data, side), schema);
    };
    const serviceReady = /CDS Hooks discovery: http:\/\/[^:]+:(\d+)\//;
    const started = await Promise.allSettled([
      startProcess('baseline-fhir', ['--experimental-websocket', join(projectRoot, 'dist/src/demo/fhir-main.js')], {
        env: { PATH: process.env.PATH ?? '', FHIR_PORT: '0', HOST: '127.0.0.1', DEMO_SYNTHEA: 'false', LOG_LEVEL: 'warn' },
        logDir,
        ready: /demo FHIR R4 server: (http:\/\/\S+)/,
      }),
      startProcess('baseline-service-baseline', [baselineMain(build.dir)], {
        env: await sideEnv('baseline'),
        logDir,
        ready: serviceReady,
      }),
      startProcess('baseline-service-current', [baselineMain(projectRoot)], {
        env: await sideEnv('current'),
        logDir,
        ready: serviceReady,
      }),
    ]);
    // Those that did start are stopped in the end even when another did not.
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [fhir, baseline, current] = running as [Running, Running, Running];
    const sides: Record<Side, { base: string; process: Running }> = {
      baseline: { base: `http://127.0.0.1:${baseline.ready}`, process: baseline },
      current: { base: `http://127.0.0.1:${current.ready}`, process: current },
    };
    const work = loads(options.services, fhir.ready, await servicesOf(build.dir));

    const ruleCheck: RuleCheck[] = [];
    for (const load of work) {
      ruleCheck.push({
        workload: load.name,
        baseline: await ruleIds(sides.baseline.base, 'baseline', load),
        current: await ruleIds(sides.current.base, 'current', load),
      });
    }
    const ruleNote = describeRuleCheck(ruleCheck);
    process.stderr.write(`${ruleNote}\n`);

    const currentSha = gitHead(projectRoot);
    const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`;
    process.stderr.write(
      `baseline bench: ${work.length} workloads, ${options.rounds} rounds of ${options.requests} requests, ` +
        `${CONNECTIONS} connections, ${machine}\n`,
    );
    // Warm the JIT of both builds on every workload before anything is measured.
    for (const load of work)
      for (const side of ['baseline', 'current'] as const) await fire(sides[side].base, side, load, options.requests);

    const measurements: Measurement[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const load of work) {
        for (const side of roundOrder(round)) {
          measurements.push(await measure(side, round, sides[side].base, sides[side].process, fhir, load, options.requests));
        }
      }
      process.stderr.write(`round ${round + 1}/${options.rounds} done\n`);
    }

    const rows = summarise(measurements);
    const table = formatTable(rows);
    const store = schemas.length ? 'PostgreSQL' : 'PGlite';
    const setup =
      `Baseline ${build.label} against current ${currentSha?.slice(0, 9) ?? projectRoot} (working tree as built). ` +
      `${options.rounds} rounds alternating which build goes first, ` +
      `${options.requests} requests per measurement on ${CONNECTIONS} connections; ` +
      `${machine}; card log on ${store}; service NODE_OPTIONS ${IMAGE_NODE_OPTIONS || 'none'}. ` +
      `CPU is the service process's user + system time per 2xx answer; figures are medians over rounds, and the change is ` +
      `the median of the per-round changes. ${ruleNote}`;
    const date = new Date().toISOString();
    process.stdout.write(`\n${setup}\n\n${table}\n`);
    writeFileSync(join(out, 'baseline.md'), `# Baseline comparison ${date}\n\n${setup}\n\n${table}\n`);
    writeFileSync(
      join(out, 'baseline.json'),
      `${JSON.stringify(
        {
          date,
          baseline: { label: build.label, sha: build.sha, dir: build.dir, prepared: build.prepared, buildSeconds: build.seconds },
          current: { sha: currentSha, dir: projectRoot },
          rounds: options.rounds,
          requests: options.requests,
          connections: CONNECTIONS,
          node: process.version,
          cores: availableParallelism(),
          cpu: cpus()[0]?.model,
          store,
          serviceNodeOptions: IMAGE_NODE_OPTIONS,
          ruleCheck,
          rows,
          measurements,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\nWrote bench-results/baseline.md and baseline.json; logs in bench-results/logs/.\n`);
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    for (const s of schemas) await s.drop();
    rmSync(data, { recursive: true, force: true });
  }
}
