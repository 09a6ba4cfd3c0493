/**
 * Hot reload: the running service picks up edits to rules/ and cards/ within 2 s, without a
 * restart and without failing a request in flight; a broken edit is rejected, logged, and the last
 * good set stays live. GET /status shows which set is live and the last error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '../../src/hooks/services.js';
import { KnowledgeError } from '../../src/knowledge/problems.js';
import { watchKnowledge } from '../../src/knowledge/watch.js';
import { createLogger } from '../../src/log.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post } from '../support/harness.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { startLiveService, type LiveService } from '../support/live-service.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const request = scenarioRequest(scenario, select, { prefetch: 'all' });

type Card = { summary: string; source: { topic: { code: string } } };
type RuleFile = { rules: { id: string; params?: Record<string, number> }[] };

let copy: KnowledgeCopy;
let service: LiveService;
let url: string;
let logs: string[];
let status: LiveService['status'];
let until: LiveService['until'];

beforeAll(async () => {
  copy = copyKnowledge();
  service = await startLiveService(copy, {}, () => new Date(scenario.now));
  ({ url, logs, status, until } = service);
});

afterAll(async () => {
  await service.close();
  copy.remove();
});

async function cards(): Promise<Card[]> {
  const res = await post(`${url}/cds-services/${select.id}`, request);
  expect(res.status).toBe(200);
  return (res.body as { cards: Card[] }).cards;
}

test('a changed threshold goes live without a restart', async () => {
  expect((await cards()).map((c) => c.source.topic.code)).toEqual(['imaging-defer']);
  const before = await status();
  expect(before).toEqual(
    expect.objectContaining({ watching: true, version: expect.stringMatching(/^[0-9a-f]{16}$/), loadedAt: expect.any(String) }),
  );

  // "Early" becomes under 4 weeks: the 41-day episode no longer gets the card.
  copy.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => {
    f.rules.find((r) => r.id === 'imaging-defer')!.params = { earlyDays: 28 };
  });
  const { status: after } = await until((s) => s.version !== before.version);
  expect(after.lastReload?.outcome).toBe('loaded');
  expect(Date.parse(after.loadedAt)).toBeGreaterThan(Date.parse(before.loadedAt));
  expect(await cards()).toEqual([]);

  copy.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => {
    f.rules.find((r) => r.id === 'imaging-defer')!.params = { earlyDays: 42 };
  });
  await until((s) => s.version !== after.version);
  expect((await cards()).map((c) => c.source.topic.code)).toEqual(['imaging-defer']);
});

test('edited card wording shows on the next request', async () => {
  const before = await status();
  copy.editJson<{ summary: string }>(
    'cards/imaging-defer.json',
    (f) => void (f.summary = 'Edited: back pain for {{episode.days}} days, no red flags. Consider deferring imaging.'),
  );
  await until((s) => s.version !== before.version);
  expect((await cards())[0]?.summary).toBe('Edited: back pain for 41 days, no red flags. Consider deferring imaging.');
});

test('a broken edit is rejected and logged with the reason; the last good set stays live', async () => {
  const good = await status();
  const card = copy.readJson('cards/imaging-defer.json');
  copy.editJson<{ indicator: string }>('cards/imaging-defer.json', (f) => void (f.indicator = 'urgent'));
  const { status: rejected } = await until((s) => s.lastReload?.outcome === 'rejected');
  expect(rejected.version).toBe(good.version);
  expect(rejected.lastError?.problems).toEqual([
    expect.objectContaining({
      file: 'cards/imaging-defer.json',
      path: 'indicator',
      message: expect.stringMatching(/"urgent"; use one of "info", "warning", "critical"/),
    }),
  ]);
  const line = logs.find((l) => l.includes('knowledge reload rejected'));
  expect(line).toMatch(/cards\/imaging-defer\.json:\d+:\d+ \(rule \\"imaging-defer\\"\): indicator: is \\"urgent\\"/);
  expect((await cards())[0]?.summary).toMatch(/^Edited: back pain for 41 days/);

  // Half-written JSON is rejected too, and fixing the file brings it back.
  copy.write('cards/imaging-defer.json', '{ "rule": "imaging-defer", "summ');
  const { status: half } = await until((s) => (s.lastError?.problems[0]?.message ?? '').includes('not valid JSON'));
  // The place of a syntax error, as an editor counts: line 1, just after the cut-off text.
  expect(half.lastError?.problems[0]).toMatchObject({ line: 1, column: 28, message: 'not valid JSON: a text in quotes is not closed' });
  expect((await status()).version).toBe(good.version);
  copy.write('cards/imaging-defer.json', JSON.stringify({ ...card, summary: 'Fixed: consider deferring imaging.' }));
  await until((s) => s.lastReload?.outcome === 'loaded' && s.version !== good.version);
  expect((await cards())[0]?.summary).toBe('Fixed: consider deferring imaging.');
});

test('a value set with a misspelt code system is rejected with "did you mean"; the last good set stays live', async () => {
  const good = await status();
  const liveSummary = (await cards())[0]?.summary;
  const original = readFileSync(join(copy.rulesDir, 'valuesets/red-flag-cancer.json'), 'utf8');
  copy.editJson<{ compose: { include: { system: string }[] } }>(
    'rules/valuesets/red-flag-cancer.json',
    (f) => void (f.compose.include[2]!.system = 'http://snomed.info/sctt'),
  );
  const { status: rejected } = await until((s) => s.lastReload?.outcome === 'rejected');
  expect(rejected.version).toBe(good.version);
  expect(rejected.lastError?.problems).toEqual([
    expect.objectContaining({
      file: 'rules/valuesets/red-flag-cancer.json',
      path: 'compose.include[2].system',
      message: expect.stringMatching(/unknown code system "http:\/\/snomed\.info\/sctt": did you mean http:\/\/snomed\.info\/sct\?/),
    }),
  ]);
  expect((await cards())[0]?.summary).toBe(liveSummary);

  copy.write('rules/valuesets/red-flag-cancer.json', original);
  // The file is back as it was: the same rule set, so nothing to swap.
  const { status: back } = await until((s) => s.lastReload?.outcome === 'unchanged');
  expect(back.version).toBe(good.version);
});

test('no request in flight fails while the rule set is swapped again and again', async () => {
  let stop = false;
  const results: number[] = [];
  const clients = Array.from({ length: 6 }, async () => {
    while (!stop) {
      const res = await post(`${url}/cds-services/${select.id}`, request);
      results.push(res.status);
      const summary = (res.body as { cards?: Card[] }).cards?.[0]?.summary ?? '';
      if (!/^Swap [AB]|^Fixed/.test(summary)) results.push(-1);
    }
  });
  try {
    for (let i = 0; i < 6; i++) {
      const before = await status();
      copy.editJson<{ summary: string }>(
        'cards/imaging-defer.json',
        (f) => void (f.summary = `Swap ${i % 2 ? 'A' : 'B'} ${i}: consider deferring imaging.`),
      );
      await until((s) => s.version !== before.version);
    }
  } finally {
    stop = true;
    await Promise.all(clients);
  }
  expect(results.length).toBeGreaterThan(20);
  expect(results.filter((s) => s !== 200)).toEqual([]);
});

test('the service does not start on broken files (there is no last good set yet)', () => {
  const broken = copyKnowledge();
  try {
    broken.write('rules/findings.json', '[]');
    expect(() => watchKnowledge({ rulesDir: broken.rulesDir, cardsDir: broken.cardsDir }, createLogger('silent'))).toThrow(KnowledgeError);
  } finally {
    broken.remove();
  }
});
