/**
 * `npm run bench`: every CDS service with full prefetch and on the fetch path (the service reads
 * the demo FHIR server), a bare express endpoint parsing the same body as the ceiling (at the start
 * and at the end of the run, so drift shows), one process against two (node cluster), and the
 * memory and CPU of each process under load. Saturation with autocannon (16 connections); steady
 * rates with an open-loop paced client (paced.ts). The service runs as production runs it
 * (dist/src/main.js, info logs to stdout, kept in a file, card log on in PGlite or BENCH_DATABASE_URL);
 * every card answered must reach the card log, and the same app without the card log prices it.
 * docs/operations.md says what differs from production.
 * Writes bench-results/bench.json and bench-results/bench.md, and prints the table.
 * BENCH_SECONDS (default 10) sets each run's length. With `-- --baseline <git-ref>` it compares this build
 * with a baseline build instead (baseline.ts).
 */
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES, type ServiceDefinition } from '../../src/hooks/services.js';
import { projectRoot } from '../../src/paths.js';
import { shiftScenario, shiftToToday } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { temporarySchema, type TemporarySchema } from '../../scripts/pg-schema.js';
import { WORKLOADS } from '../../scripts/workloads.js';
import { runBaseline } from './baseline.js';
import { parseBaselineArgs } from './baseline-plan.js';
import { paced } from './paced.js';
import { IMAGE_NODE_OPTIONS, serviceEnv } from './service-env.js';
import { sample, startProcess, type ProcessSample, type Running } from './processes.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const STEADY_RATE = 200;
const FETCH_STEADY_RATE = 20;
const CONNECTIONS = 16;
const out = join(projectRoot, 'bench-results');
const logDir = join(out, 'logs');
const dist = join(projectRoot, 'dist');
const mainJs = join(dist, 'src/main.js');
const running: Running[] = [];
/** PostgreSQL, as replicas run in production (a fresh schema, dropped after); else PGlite per process. */
const DATABASE = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
let schema: TemporarySchema | undefined;

interface Row {
  name: string;
  target: string;
  load: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Every 2xx answer, warm-up included: each one logged a card. */
  ok: number;
  processes: ProcessSample[];
}

async function saturate(name: string, target: string, url: string, body: string, watched: Running[]): Promise<Row> {
  const sampler = sample(watched);
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  return {
    name,
    target,
    load: `saturation (${CONNECTIONS} connections)`,
    reqPerSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ok: r['2xx'],
    processes: sampler.stop(),
  };
}

async function steady(name: string, target: string, url: string, body: string, rate: number, watched: Running[]): Promise<Row> {
  const sampler = sample(watched);
  const r = await paced({ url, body, rate, seconds: SECONDS });
  return {
    name,
    target,
    load: `${rate} req/s steady`,
    reqPerSec: r.reqPerSec,
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    ok: r.okTotal,
    processes: sampler.stop(),
  };
}

/** The container image's heap settings (docker/Dockerfile), so the service's memory is measured as deployed. */
/**
 * Node flags for the service processes: BENCH_NODE_FLAGS (space-separated), and with BENCH_CPU_PROF=1
 * a CPU profile per process in bench-results/profiles/ (summarise with profile-summary.js).
 */
function serviceFlags(): string[] {
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  if (process.env.BENCH_CPU_PROF === '1') flags.push('--cpu-prof', `--cpu-prof-dir=${join(out, 'profiles')}`);
  return flags;
}

interface Workload {
  service: ServiceDefinition;
  full: string;
  fetchPath: string;
  expected: string[];
}

function workloads(fhirUrl: string): Workload[] {
  return SERVICES.map((service) => {
    const scenarioId = WORKLOADS[service.id];
    if (!scenarioId) throw new Error(`no benchmark workload for ${service.id}: add one to WORKLOADS`);
    const raw = readScenario(join(scenariosDir, `${scenarioId}.json`));
    const scenario = shiftScenario(raw, shiftToToday(raw, new Date()));
    const expected = raw.expect[service.id];
    if (!expected?.length) throw new Error(`${scenarioId} expects no card from ${service.id}`);
    return {
      service,
      full: JSON.stringify(scenarioRequest(scenario, service, { prefetch: 'all' })),
      fetchPath: JSON.stringify(scenarioRequest(scenario, service, { prefetch: 'none', fhirServer: fhirUrl })),
      expected,
    };
  });
}

/** The service must answer each workload with its scenario's cards before it is measured. */
async function check(base: string, w: Workload): Promise<number> {
  for (const body of [w.full, w.fetchPath]) {
    const res = await fetch(`${base}/cds-services/${w.service.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = (await res.json()) as { cards?: { source?: { topic?: { code?: string } } }[] };
    const rules = (json.cards ?? []).map((c) => c.source?.topic?.code).sort();
    if (res.status !== 200 || JSON.stringify(rules) !== JSON.stringify([...w.expected].sort())) {
      throw new Error(`${w.service.id}: expected ${w.expected.join(', ')}, got ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    }
  }
  return 2;
}

async function warm(url: string, body: string): Promise<number> {
  return (await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, duration: 2 }))[
    '2xx'
  ];
}

/** Cards in the service's card log (its feedback store), once the queue has been written. */
async function cardsLogged(base: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 2500));
  return ((await (await fetch(`${base}/analytics.json`)).json()) as { totals: { cardsShown: number } }).totals.cardsShown;
}

const mb = (rows: ProcessSample[], name: string): number[] => rows.filter((p) => p.process === name).map((p) => p.maxRssMb);
const cpu = (rows: ProcessSample[], name: string): number => rows.filter((p) => p.process === name).reduce((a, p) => a + p.cpuPercent, 0);

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'backpain-bench-'));
  if (DATABASE) schema = await temporarySchema(DATABASE, 'bench');
  try {
    const [fhir, bare, service, noCardLog, handlerAlone] = await Promise.all([
      startProcess('fhir', ['--experimental-websocket', join(dist, 'src/demo/fhir-main.js')], {
        env: { PATH: process.env.PATH ?? '', FHIR_PORT: '0', HOST: '127.0.0.1', DEMO_SYNTHEA: 'false', LOG_LEVEL: 'warn' },
        logDir,
        ready: /demo FHIR R4 server: (http:\/\/\S+)/,
      }),
      startProcess('bare', [join(dist, 'test/bench/servers.js'), 'bare'], {
        env: { PATH: process.env.PATH ?? '' },
        logDir,
        ready: /ready (\d+)/,
      }),
      startProcess('service', [...serviceFlags(), mainJs], {
        env: serviceEnv(join(data, 'single'), schema),
        logDir,
        ready: /CDS Hooks discovery: http:\/\/[^:]+:(\d+)\//,
      }),
      startProcess('no-card-log', [...serviceFlags(), join(dist, 'test/bench/servers.js'), 'no-card-log'], {
        env: serviceEnv(join(data, 'none'), schema),
        logDir,
        ready: /ready (\d+)/,
      }),
      startProcess('handler-alone', [...serviceFlags(), join(dist, 'test/bench/servers.js'), 'handler-alone'], {
        env: serviceEnv(join(data, 'handler-alone'), schema),
        logDir,
        ready: /ready (\d+)/,
      }),
    ]);
    running.push(fhir, bare, service, noCardLog, handlerAlone);
    const serviceBase = `http://127.0.0.1:${service.ready}`;
    const bareUrl = `http://127.0.0.1:${bare.ready}/cds-services/back-pain-imaging-select`;
    const loads = workloads(fhir.ready);
    // Every 2xx answer from the single service: each workload's answer is one card, all logged.
    let served = 0;
    const cardsBefore = await cardsLogged(serviceBase);
    for (const w of loads) served += (await check(serviceBase, w)) * w.expected.length;
    const store = schema ? 'PostgreSQL' : 'PGlite (set BENCH_DATABASE_URL for PostgreSQL, as in production)';
    const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`;
    process.stdout.write(`bench: ${loads.length} services, ${SECONDS} s per run, ${machine}, store ${store}\n`);

    // Warm the JIT on every workload (and the baseline) before anything is measured.
    await warm(bareUrl, loads[0]?.full ?? '{}');
    for (const w of loads) served += (await warm(`${serviceBase}/cds-services/${w.service.id}`, w.full)) * w.expected.length;
    const select = loads.find((w) => w.service.id === 'back-pain-imaging-select') as Workload;

    const rows: Row[] = [];
    const log = (row: Row): Row => {
      process.stdout.write(
        `  ${row.name.padEnd(44)} ${row.load.padEnd(28)} ${String(row.reqPerSec).padStart(6)} req/s  p99 ${row.p99} ms\n`,
      );
      rows.push(row);
      return row;
    };
    const bareFirst = log(await saturate('bare express, same body (start)', 'bare', bareUrl, select.full, [bare]));
    for (const w of loads) {
      const url = `${serviceBase}/cds-services/${w.service.id}`;
      const measured = [
        log(await saturate(`${w.service.id}, full prefetch`, w.service.id, url, w.full, [service])),
        log(await steady(`${w.service.id}, full prefetch`, w.service.id, url, w.full, STEADY_RATE, [service])),
        log(await saturate(`${w.service.id}, fetch path`, w.service.id, url, w.fetchPath, [service, fhir])),
        log(await steady(`${w.service.id}, fetch path`, w.service.id, url, w.fetchPath, FETCH_STEADY_RATE, [service, fhir])),
      ];
      served += measured.reduce((n, r) => n + r.ok, 0) * w.expected.length;
    }
    const bareLast = log(await saturate('bare express, same body (end)', 'bare', bareUrl, select.full, [bare]));
    const bareRate = (bareFirst.reqPerSec + bareLast.reqPerSec) / 2;

    // One process against two: the same workload, measured back to back.
    const selectUrl = (base: string): string => `${base}/cds-services/back-pain-imaging-select`;
    const one = log(await saturate('1 process, order-select full prefetch', 'scaling', selectUrl(serviceBase), select.full, [service]));
    served += one.ok * select.expected.length;
    const logged = (await cardsLogged(serviceBase)) - cardsBefore;
    // The card log's price: the same app without it, measured right after.
    await warm(selectUrl(`http://127.0.0.1:${noCardLog.ready}`), select.full);
    const off = log(
      await saturate(
        'order-select full prefetch, card log off',
        'card-log',
        selectUrl(`http://127.0.0.1:${noCardLog.ready}`),
        select.full,
        [noCardLog],
      ),
    );
    const offSteady = log(
      await steady(
        'order-select full prefetch, card log off',
        'card-log',
        selectUrl(`http://127.0.0.1:${noCardLog.ready}`),
        select.full,
        STEADY_RATE,
        [noCardLog],
      ),
    );
    // The floor: the hook handler alone behind express's body parser, so the cost of the production stack shows apart from the hook's own.
    await warm(selectUrl(`http://127.0.0.1:${handlerAlone.ready}`), select.full);
    const floor = log(
      await saturate(
        'order-select full prefetch, hook handler alone',
        'floor',
        selectUrl(`http://127.0.0.1:${handlerAlone.ready}`),
        select.full,
        [handlerAlone],
      ),
    );
    // Memory: the same saturation with Node's own heap sizing instead of the image's, to show what the image's setting trades.
    const unsized = await startProcess('service-heap-unsized', [...serviceFlags(), mainJs], {
      env: serviceEnv(join(data, 'unsized'), schema, { NODE_OPTIONS: '' }),
      logDir,
      ready: /CDS Hooks discovery: http:\/\/[^:]+:(\d+)\//,
    });
    running.push(unsized);
    const unsizedBase = `http://127.0.0.1:${unsized.ready}`;
    await warm(selectUrl(unsizedBase), select.full);
    const heapUnsized = log(
      await saturate("order-select full prefetch, Node's default heap (no NODE_OPTIONS)", 'memory', selectUrl(unsizedBase), select.full, [
        unsized,
      ]),
    );
    const onSteady = rows.find(
      (r) => r.target === 'back-pain-imaging-select' && r.name.endsWith('full prefetch') && r.load.includes('steady'),
    ) as Row;
    const pair = await startProcess('cluster-2', [...serviceFlags(), join(dist, 'test/bench/servers.js'), 'cluster', '2', mainJs], {
      env: serviceEnv(join(data, 'cluster'), schema),
      logDir,
      ready: /ready (\d+)/,
    });
    running.push(pair);
    const pairBase = `http://127.0.0.1:${pair.ready}`;
    await check(pairBase, select);
    await autocannon({
      url: selectUrl(pairBase),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: select.full,
      connections: 8,
      duration: 2,
    });
    const two = log(
      await saturate('2 processes (cluster), order-select full prefetch', 'scaling', selectUrl(pairBase), select.full, [pair]),
    );

    // Targets.
    const perService = loads.map((w) => {
      const sat = rows.find((r) => r.target === w.service.id && r.name.endsWith('full prefetch') && r.load.startsWith('saturation')) as Row;
      const st = rows.find((r) => r.target === w.service.id && r.name.endsWith('full prefetch') && r.load.includes('steady')) as Row;
      const fetchSteady = rows.find((r) => r.target === w.service.id && r.name.endsWith('fetch path') && r.load.includes('steady')) as Row;
      return {
        service: w.service.id,
        vsBare: { value: Math.round((sat.reqPerSec / bareRate) * 100) / 100, target: '>= 0.60', ok: sat.reqPerSec / bareRate >= 0.6 },
        p99AtSteady: { value: st.p99, target: `< 10 ms at ${STEADY_RATE} req/s`, ok: st.p99 < 10 && st.non2xx === 0 && st.errors === 0 },
        fetchP99AtSteady: {
          value: fetchSteady.p99,
          target: `< 50 ms at ${FETCH_STEADY_RATE} req/s`,
          ok: fetchSteady.p99 < 50 && fetchSteady.non2xx === 0 && fetchSteady.errors === 0,
        },
      };
    });
    const serviceRss = rows.flatMap((r) => [...mb(r.processes, 'service'), ...mb(r.processes, 'cluster-2')]);
    const maxRss = Math.max(...serviceRss);
    const targets = {
      perService,
      twoProcesses: {
        value: Math.round((two.reqPerSec / one.reqPerSec) * 100) / 100,
        target: '>= 1.4',
        ok: two.reqPerSec / one.reqPerSec >= 1.4,
      },
      rssPerProcess: { value: maxRss, target: '< 200 MB', ok: maxRss < 200 },
      // A request still in flight when autocannon stops is answered (and logged) but not counted:
      // a few extra are fine, a missing one is not.
      cardLog: { logged, answered: served, lost: Math.max(0, served - logged), ok: logged >= served },
      cardLogCost: { onReqPerSec: one.reqPerSec, offReqPerSec: off.reqPerSec, onP99AtSteady: onSteady.p99, offP99AtSteady: offSteady.p99 },
      handlerAloneVsBare: Math.round((floor.reqPerSec / bareRate) * 100) / 100,
    };

    const row = (...cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
    const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
    const table = [
      `| run | load | req/s | p50 ms | p99 ms | errors | non-2xx | service CPU % | load generator CPU % | max RSS MB (each process) |`,
      `|---|---|---:|---:|---:|---:|---:|---:|---:|---|`,
      ...rows.map((r) => {
        const measured = r.processes.filter((p) => p.process !== 'load generator');
        const rss = measured.map((p) => `${p.process}${p.process === 'cluster-2' ? `:${p.pid}` : ''} ${p.maxRssMb}`).join(', ');
        const svcCpu = measured.filter((p) => p.process !== 'fhir').reduce((a, p) => a + p.cpuPercent, 0);
        return row(r.name, r.load, r.reqPerSec, r.p50, r.p99, r.errors, r.non2xx, svcCpu, cpu(r.processes, 'load generator'), rss);
      }),
      '',
      `| target | value | goal | met |`,
      `|---|---:|---|---|`,
      ...perService.flatMap((s) => [
        row(
          `${s.service}: full prefetch / bare express (mean of start ${bareFirst.reqPerSec} and end ${bareLast.reqPerSec} req/s)`,
          `${Math.round(s.vsBare.value * 100)}%`,
          '>= 60%',
          met(s.vsBare.ok),
        ),
        row(`${s.service}: p99 at ${STEADY_RATE} req/s, full prefetch`, `${s.p99AtSteady.value} ms`, '< 10 ms', met(s.p99AtSteady.ok)),
        row(
          `${s.service}: p99 at ${FETCH_STEADY_RATE} req/s, fetch path`,
          `${s.fetchP99AtSteady.value} ms`,
          '< 50 ms',
          met(s.fetchP99AtSteady.ok),
        ),
      ]),
      row(
        '2 processes / 1 process (order-select, full prefetch)',
        `${targets.twoProcesses.value}x`,
        '>= 1.4x',
        met(targets.twoProcesses.ok),
      ),
      row('largest service process RSS under load', `${maxRss} MB`, '< 200 MB', met(targets.rssPerProcess.ok)),
      row('cards logged / cards answered (single process, whole run)', `${logged} / ${served}`, 'none lost', met(targets.cardLog.ok)),
      row(
        `card log on / off (order-select full prefetch, saturation; p99 at ${STEADY_RATE} req/s)`,
        `${one.reqPerSec} / ${off.reqPerSec} req/s; ${onSteady.p99} / ${offSteady.p99} ms`,
        '(information)',
        '',
      ),
      row(
        `the image's heap setting (${IMAGE_NODE_OPTIONS || 'none'}) against Node's default: order-select saturation, largest RSS`,
        `${one.reqPerSec} / ${heapUnsized.reqPerSec} req/s; ` +
          `${Math.max(...mb(one.processes, 'service'))} / ${Math.max(...mb(heapUnsized.processes, 'service-heap-unsized'))} MB`,
        '(information)',
        '',
      ),
      row(
        'hook handler alone (express + body parser + the hook, no production stack) / bare express',
        `${Math.round(targets.handlerAloneVsBare * 100)}%`,
        '(information: the floor under the 60% goal)',
        '',
      ),
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    const logBytes = readFileSync(service.logFile).length;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cores: availableParallelism(),
      cpu: cpus()[0]?.model,
      seconds: SECONDS,
      steadyRate: STEADY_RATE,
      connections: CONNECTIONS,
      serviceLogLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
      serviceLogBytes: logBytes,
      serviceNodeFlags: serviceFlags(),
      serviceNodeOptions: IMAGE_NODE_OPTIONS,
      store: schema ? 'postgres' : 'pglite',
      rows,
      targets,
    };
    writeFileSync(join(out, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    const setup = [
      `node ${result.node}, ${result.cores} cores (${result.cpu}), ${SECONDS} s per run, store ${result.store}`,
      `service logs at ${result.serviceLogLevel} (${logBytes} bytes)`,
      `service NODE_OPTIONS from the image: ${IMAGE_NODE_OPTIONS || 'none'}`,
    ].join(', ');
    writeFileSync(join(out, 'bench.md'), `# Benchmark ${result.date}\n\n${setup}\n\n${table}\n`);
    process.stdout.write(`\nWrote ${join('bench-results', 'bench.json')} and bench.md; service logs in bench-results/logs/.\n`);
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    await schema?.drop();
    rmSync(data, { recursive: true, force: true });
  }
}

/** `npm run bench -- --baseline <ref>` (or BENCH_BASELINE) compares with a baseline build instead (baseline.ts). */
async function run(): Promise<void> {
  const baseline = parseBaselineArgs(process.argv.slice(2), process.env);
  if (baseline) await runBaseline(baseline);
  else await main();
}

run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
