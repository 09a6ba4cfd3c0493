/**
 * `npm run bench`: order-select with full prefetch, order-select on the fetch path (the service
 * reads the demo FHIR server), a bare express endpoint parsing the same body, the patient-view
 * stratified care service (sciatica fast-track card) on both paths, and order-select with the card
 * log writing to PGlite (its cost, and whether every card was logged), all in one run.
 * Prints req/s, p50 and p99 and the ratios; writes bench-results/bench.json.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES } from '../../src/hooks/services.js';
import { shiftScenario, shiftToToday } from '../../src/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/scenarios/load.js';
import { scenarioRequest } from '../../src/scenarios/requests.js';
import { projectRoot } from '../../src/paths.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const here = dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];

function start(mode: string): Promise<number> {
  const child = spawn(process.execPath, ['--experimental-websocket', join(here, 'servers.js'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
}

interface Row {
  name: string;
  mode: 'saturation' | 'steady';
  rate?: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  ok: number;
}

async function run(name: string, url: string, body: string, options: { connections: number; rate?: number }): Promise<Row> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: options.connections,
    duration: SECONDS,
    ...(options.rate ? { overallRate: options.rate } : {}),
  });
  return {
    name,
    mode: options.rate ? 'steady' : 'saturation',
    ...(options.rate ? { rate: options.rate } : {}),
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ok: result['2xx'],
  };
}

async function main(): Promise<void> {
  const [fhirPort, servicePort, barePort, cardLogPort] = await Promise.all([start('fhir'), start('service'), start('bare'), start('service-card-log')]);
  const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select');
  if (!select) throw new Error('no order-select service');
  const raw = readScenario(join(scenariosDir, 'imaging-defer-acute-41-days.json'));
  const scenario = shiftScenario(raw, shiftToToday(raw, new Date()));
  const full = JSON.stringify(scenarioRequest(scenario, select, { prefetch: 'all' }));
  const fetchPath = JSON.stringify(scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: `http://127.0.0.1:${fhirPort}/fhir` }));
  const service = `http://127.0.0.1:${servicePort}/cds-services/back-pain-imaging-select`;
  const bare = `http://127.0.0.1:${barePort}/cds-services/back-pain-imaging-select`;
  const withCardLog = `http://127.0.0.1:${cardLogPort}/cds-services/back-pain-imaging-select`;

  // Check the service really answers with a card before measuring it.
  for (const body of [full, fetchPath]) {
    const res = await fetch(service, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await res.json()) as { cards?: unknown[] };
    if (res.status !== 200 || json.cards?.length !== 1) throw new Error(`warm-up failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  }
  await run('warm-up', service, full, { connections: 8 });

  const rows: Row[] = [];
  rows.push(await run('bare express, same body', bare, full, { connections: 16 }));
  rows.push(await run('order-select, full prefetch', service, full, { connections: 16 }));
  rows.push(await run('order-select, full prefetch', service, full, { connections: 16, rate: 200 }));
  rows.push(await run('order-select, fetch path', service, fetchPath, { connections: 16 }));
  rows.push(await run('order-select, fetch path', service, fetchPath, { connections: 4, rate: 20 }));

  const stratified = SERVICES.find((s) => s.id === 'back-pain-stratified-care');
  if (!stratified) throw new Error('no back-pain-stratified-care service');
  const rawPv = readScenario(join(scenariosDir, 'sciatica-fast-track-medium-4-items-42-days.json'));
  const pv = shiftScenario(rawPv, shiftToToday(rawPv, new Date()));
  const pvFull = JSON.stringify(scenarioRequest(pv, stratified, { prefetch: 'all' }));
  const pvFetch = JSON.stringify(scenarioRequest(pv, stratified, { prefetch: 'none', fhirServer: `http://127.0.0.1:${fhirPort}/fhir` }));
  const pvUrl = `http://127.0.0.1:${servicePort}/cds-services/back-pain-stratified-care`;
  for (const body of [pvFull, pvFetch]) {
    const res = await fetch(pvUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await res.json()) as { cards?: unknown[] };
    if (res.status !== 200 || json.cards?.length !== 1) throw new Error(`patient-view warm-up failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  }
  rows.push(await run('stratified care, full prefetch', pvUrl, pvFull, { connections: 16 }));
  rows.push(await run('stratified care, full prefetch', pvUrl, pvFull, { connections: 16, rate: 200 }));
  rows.push(await run('stratified care, fetch path', pvUrl, pvFetch, { connections: 4, rate: 20 }));

  const [bareRow, fullSat, fullSteady, fetchSat, fetchSteady] = rows as [Row, Row, Row, Row, Row];
  // The card log (PGlite) must cost the hook nothing visible and lose no card.
  const cardsLogged = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 2000));
    return ((await (await fetch(`http://127.0.0.1:${cardLogPort}/analytics.json`)).json()) as { totals: { cardsShown: number } }).totals.cardsShown;
  };
  await run('warm-up', withCardLog, full, { connections: 8 });
  const before = await cardsLogged();
  const logSat = await run('full prefetch + card log (PGlite)', withCardLog, full, { connections: 16 });
  const logSteady = await run('full prefetch + card log (PGlite)', withCardLog, full, { connections: 16, rate: 200 });
  rows.push(logSat, logSteady);
  const logged = (await cardsLogged()) - before;
  const targets = {
    fullPrefetchVsBare: { value: fullSat.reqPerSec / bareRow.reqPerSec, target: '>= 0.60' , ok: fullSat.reqPerSec / bareRow.reqPerSec >= 0.6 },
    fullPrefetchP99At200: { value: fullSteady.p99, target: '< 10 ms', ok: fullSteady.p99 < 10 },
    fetchPathP99At20: { value: fetchSteady.p99, target: '< 50 ms', ok: fetchSteady.p99 < 50 },
  };
  const lines = [
    `${'run'.padEnd(34)} ${'load'.padEnd(12)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} errors non-2xx`,
    ...rows.map((r) => `${r.name.padEnd(34)} ${(r.rate ? `${r.rate} req/s` : 'saturation').padEnd(12)} ${String(r.reqPerSec).padStart(7)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(6)} ${String(r.non2xx).padStart(7)}`),
    '',
    `full prefetch / bare express throughput: ${(targets.fullPrefetchVsBare.value * 100).toFixed(0)}% (target >= 60%) ${targets.fullPrefetchVsBare.ok ? 'OK' : 'MISSED'}`,
    `fetch path / bare express throughput:    ${((fetchSat.reqPerSec / bareRow.reqPerSec) * 100).toFixed(0)}%`,
    `p99 at 200 req/s, full prefetch:         ${fullSteady.p99} ms (target < 10 ms) ${targets.fullPrefetchP99At200.ok ? 'OK' : 'MISSED'}`,
    `p99 at 20 req/s, fetch path:             ${fetchSteady.p99} ms (target < 50 ms) ${targets.fetchPathP99At20.ok ? 'OK' : 'MISSED'}`,
    `card log on / off throughput:            ${((logSat.reqPerSec / fullSat.reqPerSec) * 100).toFixed(0)}%; p99 at 200 req/s ${logSteady.p99} ms vs ${fullSteady.p99} ms`,
    `cards logged / 2xx counted:              ${logged} / ${logSat.ok + logSteady.ok} (one card a response; requests still in flight when a run ends add a few)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = join(projectRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bench.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, rows, targets }, null, 2));
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill();
  });
