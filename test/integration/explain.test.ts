/**
 * Explain on request: the decision trace rides on a response only when the request asks for it
 * (?explain=true) and the configuration allows it (EXPLAIN, off in production). Never otherwise.
 */
import { loadConfig } from '../../src/config.js';
import { EXPLAIN_EXTENSION } from '../../src/explain/extension.js';
import { FACT_EVIDENCE } from '../../src/explain/evidence.js';
import type { ExplainTrace } from '../../src/explain/trace.js';
import { ENGINE_FACT_NAMES } from '../../src/knowledge/fact-docs.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { runScenario } from '../../src/demo/scenarios/run.js';
import { knowledge, post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse } from '../support/spec.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-repeat-replaces-defer.json`);
const request = scenarioRequest(scenario, select, { prefetch: 'all' });

type Body = { cards: { source: { topic: { code: string } } }[]; extension?: Record<string, ExplainTrace> };
const withoutUuids = (body: Body): string => JSON.stringify(body.cards).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'uuid');

let allowed: RunningService;
let refused: RunningService;
beforeAll(async () => {
  allowed = await startService({ EXPLAIN: 'true' });
  refused = await startService({ EXPLAIN: 'false' });
  allowed.setNow(new Date(scenario.now));
  refused.setNow(new Date(scenario.now));
});
afterAll(async () => {
  await allowed.close();
  await refused.close();
});

test('asked and allowed: the trace is in the response extension, and the cards are the same as without it', async () => {
  const plain = await post(`${allowed.url}/cds-services/${select.id}`, request);
  const explained = await post(`${allowed.url}/cds-services/${select.id}?explain=true`, request);
  expect(explained.status).toBe(200);
  assertCdsResponse(explained.body);
  const body = explained.body as Body;
  expect(withoutUuids(body)).toBe(withoutUuids(plain.body as Body));
  const trace = body.extension?.[EXPLAIN_EXTENSION];
  expect(trace?.service).toBe(select.id);
  expect(trace?.cards).toEqual(['imaging-repeat']);
  expect(trace?.rules?.find((r) => r.id === 'imaging-defer')?.outcomes).toEqual([
    { order: 'ServiceRequest/bp-repeat-early-mri', shown: false, replacedBy: ['imaging-repeat'] },
  ]);
  // The same trace as the CLI and the preview page give.
  const cli = await runScenario(knowledge, scenario, select, true);
  expect(trace).toEqual(cli.trace);
});

test('allowed but not asked: no trace, no extension', async () => {
  for (const query of ['', '?explain=false', '?explain=1']) {
    const res = await post(`${allowed.url}/cds-services/${select.id}${query}`, request);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object)).toEqual(['cards']);
  }
});

test('asked but not allowed by the configuration: no trace', async () => {
  const res = await post(`${refused.url}/cds-services/${select.id}?explain=true`, request);
  expect(res.status).toBe(200);
  expect(Object.keys(res.body as object)).toEqual(['cards']);
  expect((res.body as Body).cards.map((c) => c.source.topic.code)).toEqual(['imaging-repeat']);
});

test('a request the rules never see still says why when explained', async () => {
  const knee = readScenario(`${scenariosDir}/non-lumbar-knee-xray.json`);
  const res = await post(`${allowed.url}/cds-services/${select.id}?explain=true`, scenarioRequest(knee, select, { prefetch: 'all' }));
  const body = res.body as Body;
  expect(body.cards).toEqual([]);
  expect(body.extension?.[EXPLAIN_EXTENSION]).toEqual(
    expect.objectContaining({ evaluated: false, reason: expect.stringMatching(/No lumbar imaging order/), cards: [] }),
  );
});

test('the trace never reaches the log', async () => {
  await post(`${allowed.url}/cds-services/${select.id}?explain=true`, request);
  const logs = allowed.logs.join('');
  expect(logs).toMatch(/"rules":\["imaging-repeat"\]/);
  expect(logs).not.toMatch(/bp-repeat-early|Procedure\/|2026-01-27/);
});

test('production configuration (DEMO_FHIR=false) has explain and the preview page off unless set', () => {
  expect(loadConfig({ DEMO_FHIR: 'false' })).toEqual(expect.objectContaining({ EXPLAIN: false, PREVIEW: false }));
  expect(loadConfig({ DEMO_FHIR: 'false', EXPLAIN: 'true' })).toEqual(expect.objectContaining({ EXPLAIN: true, PREVIEW: false }));
  expect(loadConfig({})).toEqual(expect.objectContaining({ EXPLAIN: true, PREVIEW: true }));
  expect(() => loadConfig({ EXPLAIN: 'yes' })).toThrow(/EXPLAIN/);
});

test('every fact the rules can use has its evidence explained', () => {
  expect(ENGINE_FACT_NAMES.filter((name) => !(name in FACT_EVIDENCE))).toEqual([]);
});
