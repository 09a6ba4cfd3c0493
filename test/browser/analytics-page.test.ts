/**
 * The analytics page in real Chromium (Debian chromium + playwright-core), on seeded data: every
 * number a clinical lead reads on the page equals the number in /analytics.json for the same
 * filters, the charts draw the same numbers, and the filter form works.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import type { Analytics, Counts } from '../../src/feedback/analytics.js';
import { percent } from '../../src/feedback/analytics-page.js';
import { saveFeedback, writeCards, type CardLogRow, type FeedbackItem } from '../../src/feedback/store.js';
import { accepted, card, overridden, REASONS, seedKnownWeeks, SELECT, SIGN } from '../support/feedback-seed.js';
import { startFeedbackService, type FeedbackService } from '../support/feedback-service.js';
import { createTestStore, type TestStore } from '../support/stores.js';

const FROM = '2026-09-28';
const TO = '2026-11-22';
type Field = Exclude<keyof Counts, 'tooFewToJudge'>;
const FIELDS: Field[] = ['cardsShown', 'accepted', 'overridden', 'noResponse', 'acceptanceRate', 'acceptedSuggestions', 'silentCards'];

/** Eight weeks of varied answers from a fixed pseudo-random sequence, so every run sees the same data. */
async function seedEightWeeks(svc: FeedbackService): Promise<void> {
  let state = 42;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const rules: [string, number][] = [
    ['imaging-defer', 2],
    ['imaging-repeat', 1],
    ['cauda-equina-emergency', 0],
  ];
  const reasons = [
    { system: REASONS, code: 'decided-with-patient' },
    { system: REASONS, code: 'red-flag-on-examination', display: 'Red flag found on examination' },
    { system: REASONS, code: 'surgery-or-injection-candidate' },
    { system: 'http://ehr.example.org/override', code: 'other', display: 'Other <b>reason</b>' },
  ];
  const cards: CardLogRow[] = [];
  const bySelect: FeedbackItem[] = [];
  const bySign: FeedbackItem[] = [];
  for (let i = 0; i < 260; i++) {
    const [ruleId, suggestions] = rules[Math.floor(next() * next() * 3)]!;
    const issued = new Date(Date.parse(`${FROM}T08:00:00Z`) + Math.floor(next() * 56) * 86_400_000 + i * 1000);
    const c = card(next() < 0.6 ? SELECT : SIGN, ruleId, issued.toISOString(), suggestions);
    cards.push(c);
    const roll = next();
    const at = new Date(issued.getTime() + 60_000).toISOString();
    const item =
      roll < 0.45 && suggestions
        ? accepted(c, [1 + Math.floor(next() * suggestions)], at)
        : roll < 0.8
          ? overridden(c.cardUuid, at, next() < 0.8 ? reasons[Math.floor(next() * reasons.length)] : undefined)
          : undefined;
    if (item) (c.serviceId === SELECT ? bySelect : bySign).push(item);
  }
  await writeCards(svc.feedback.db, cards);
  await saveFeedback(svc.feedback.db, SELECT, bySelect, { storeComments: false });
  await saveFeedback(svc.feedback.db, SIGN, bySign, { storeComments: false });
  await seedKnownWeeks(svc.feedback.db);
}

async function text(page: Page, selector: string): Promise<string> {
  const el = page.locator(selector);
  expect({ selector, found: await el.count() }).toEqual({ selector, found: 1 });
  return (await el.innerText()).trim();
}

const shown = (value: number | null, field: Field): string => (field === 'acceptanceRate' ? percent(value) : String(value));

/** Reads every number off the page and compares it with the JSON, naming the place of any mismatch. */
async function expectPageMatches(page: Page, a: Analytics): Promise<void> {
  for (const f of FIELDS)
    expect({ tile: f, value: await text(page, `[data-total-field="${f}"] b`) }).toEqual({ tile: f, value: shown(a.totals[f], f) });
  for (const f of FIELDS)
    expect({ total: f, value: await text(page, `tr[data-total] td[data-field="${f}"]`) }).toEqual({
      total: f,
      value: shown(a.totals[f], f),
    });
  expect(await page.locator('tr[data-rule]').count()).toBe(a.rules.length);
  for (const r of a.rules) {
    for (const f of FIELDS) {
      expect({ rule: r.ruleId, f, value: await text(page, `tr[data-rule="${r.ruleId}"] td[data-field="${f}"]`) }).toEqual({
        rule: r.ruleId,
        f,
        value: shown(r[f], f),
      });
    }
    for (const s of r.suggestions) {
      expect({
        rule: r.ruleId,
        s: s.position,
        value: await text(page, `tr[data-rule="${r.ruleId}"] li[data-suggestion="${s.position}"] b`),
      }).toEqual({ rule: r.ruleId, s: s.position, value: String(s.accepted) });
    }
    const reasons = page.locator(`tr[data-rule="${r.ruleId}"] td.reasons li`);
    expect(await reasons.count()).toBe(r.topOverrideReasons.length);
    for (const [i, reason] of r.topOverrideReasons.entries()) {
      expect((await reasons.nth(i).locator('span').innerText()).trim()).toBe(reason.display);
      expect((await reasons.nth(i).locator('b').innerText()).trim()).toBe(String(reason.count));
    }
    // The bar chart draws the same numbers.
    if (r.accepted > 0)
      expect(await page.locator('svg title', { hasText: new RegExp(`^${r.ruleId}: ${r.accepted} accepted$`) }).count()).toBe(1);
    if (r.overridden > 0)
      expect(await page.locator('svg title', { hasText: new RegExp(`^${r.ruleId}: ${r.overridden} overridden$`) }).count()).toBe(1);
  }
  expect(await page.locator('tr[data-service]').count()).toBe(a.services.length);
  for (const s of a.services) {
    for (const f of FIELDS) {
      expect({ service: s.serviceId, f, value: await text(page, `tr[data-service="${s.serviceId}"] td[data-field="${f}"]`) }).toEqual({
        service: s.serviceId,
        f,
        value: shown(s[f], f),
      });
    }
  }
  expect(await page.locator('tr[data-week]').count()).toBe(a.totals.weekly.length);
  for (const w of a.totals.weekly) {
    for (const f of ['cardsShown', 'accepted', 'overridden', 'noResponse', 'acceptanceRate'] as const) {
      expect({
        week: w.weekStart,
        f,
        value: await page.locator(`tr[data-week="${w.weekStart}"] td[data-field="${f}"]`).textContent(),
      }).toEqual({ week: w.weekStart, f, value: shown(w[f], f) });
    }
  }
  if (a.unknownFeedback.items) {
    expect(await text(page, '[data-unknown] b[data-field="items"]')).toBe(String(a.unknownFeedback.items));
    expect(await text(page, '[data-unknown] b[data-field="cards"]')).toBe(String(a.unknownFeedback.cards));
  }
}

let store: TestStore;
let svc: FeedbackService;
let browser: Browser;

beforeAll(async () => {
  store = await createTestStore('pglite');
  svc = await startFeedbackService(store);
  await seedEightWeeks(svc);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  await store?.cleanup();
});

async function json(query: string): Promise<Analytics> {
  const res = await fetch(`${svc.url}/analytics.json?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Analytics;
}

test('the page shows the same numbers as /analytics.json, in tables and charts', async () => {
  const query = `from=${FROM}&to=${TO}`;
  const a = await json(query);
  expect(a.totals.cardsShown).toBeGreaterThan(250);
  expect(a.totals.accepted).toBeGreaterThan(50);
  expect(a.totals.overridden).toBeGreaterThan(50);
  expect(a.totals.weekly).toHaveLength(8);

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
  });
  const res = await page.goto(`${svc.url}/analytics?${query}`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
  expect(await page.title()).toBe('Card feedback: backpain-cds');
  await expectPageMatches(page, a);
  // An EHR-sent display is text, not markup.
  expect(await page.locator('td.reasons b', { hasText: 'reason' }).count()).toBe(0);
  expect(await page.locator('td.reasons span', { hasText: 'Other <b>reason</b>' }).count()).toBeGreaterThan(0);
  expect(await page.locator('svg[role="img"]').count()).toBe(2);
  // The strict policy blocks nothing the page needs: its styles apply (tiles are laid out as boxes).
  expect(blocked).toEqual([]);
  expect(await page.evaluate("getComputedStyle(document.querySelector('.tile')).borderTopStyle")).toBe('solid');
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/analytics-page.png', fullPage: true });
  await page.close();
});

test('the filter form narrows to one service and a shorter period; the page still matches the JSON', async () => {
  const page = await browser.newPage();
  await page.goto(`${svc.url}/analytics?from=${FROM}&to=${TO}`);
  await page.fill('input[name="from"]', '2026-11-02');
  await page.fill('input[name="to"]', '2026-11-22');
  await page.selectOption('select[name="service"]', SIGN);
  await Promise.all([page.waitForURL(/service=back-pain-imaging-sign/), page.click('button[type="submit"]')]);
  const url = new URL(page.url());
  // "All versions" is the empty choice, which the service reads as no filter.
  expect(Object.fromEntries(url.searchParams)).toEqual({ from: '2026-11-02', to: '2026-11-22', service: SIGN, version: '' });
  const a = await json(url.searchParams.toString());
  expect(a.filter).toEqual({ from: '2026-11-02', to: '2026-11-22', service: SIGN });
  expect(a.services.map((s) => s.serviceId)).toEqual([SIGN]);
  await expectPageMatches(page, a);
  // The downloads keep the filters.
  expect(await page.locator('a', { hasText: 'Download CSV' }).getAttribute('href')).toBe(
    `/analytics.csv?from=2026-11-02&to=2026-11-22&service=${SIGN}`,
  );
  await page.close();
});

test(
  'by rules version: the version menu, the comparison table, and ' + 'rates from fewer than 10 responses greyed as too few to judge',
  async () => {
    const extra = Array.from({ length: 3 }, (_, i) => ({
      ...card(SIGN, 'imaging-repeat', `2026-11-2${i}T09:00:00Z`, 1),
      rulesVersion: 'b0b0b0b0b0b0b0b0',
    }));
    await writeCards(svc.feedback.db, extra);
    await saveFeedback(svc.feedback.db, SIGN, [overridden(extra[0]!.cardUuid, '2026-11-20T09:05:00Z')], { storeComments: false });
    const page = await browser.newPage();
    await page.goto(`${svc.url}/analytics?from=${FROM}&to=${TO}`);
    const all = await json(`from=${FROM}&to=${TO}`);
    expect(all.versionsInPeriod).toEqual(['b0b0b0b0b0b0b0b0', 'test-rules']);
    for (const v of all.versions) {
      for (const f of FIELDS) {
        expect({ v: v.rulesVersion, f, value: await text(page, `tr[data-version="${v.rulesVersion}"] td[data-field="${f}"]`) }).toEqual({
          v: v.rulesVersion,
          f,
          value: shown(v[f], f),
        });
      }
    }
    // One response: the rate is shown greyed, with the reason, and marked in the JSON.
    expect(all.versions.find((v) => v.rulesVersion === 'b0b0b0b0b0b0b0b0')).toMatchObject({
      responses: 1,
      tooFewToJudge: true,
      acceptanceRate: 0,
    });
    expect(
      await page.locator('tr[data-version="b0b0b0b0b0b0b0b0"] td[data-field="acceptanceRate"][data-too-few]').getAttribute('title'),
    ).toBe('From 1 responses: too few to judge');
    expect(await page.locator('tr[data-version="test-rules"] td[data-field="acceptanceRate"][data-too-few]').count()).toBe(0);
    expect(await page.evaluate("getComputedStyle(document.querySelector('td.too-few')).fontStyle")).toBe('italic');

    await page.selectOption('select[name="version"]', 'b0b0b0b0b0b0b0b0');
    await Promise.all([page.waitForURL(/version=b0b0/), page.click('button[type="submit"]')]);
    const one = await json(new URL(page.url()).searchParams.toString());
    expect(one.filter.rulesVersion).toBe('b0b0b0b0b0b0b0b0');
    expect(one.totals).toMatchObject({ cardsShown: 3, overridden: 1, tooFewToJudge: true });
    await expectPageMatches(page, one);
    // The menu still offers every version of the period, the chosen one selected.
    expect(await page.locator('select[name="version"] option').allInnerTexts()).toEqual(['All versions', 'b0b0b0b0b0b0b0b0', 'test-rules']);
    expect(await page.locator('select[name="version"] option[selected]').innerText()).toBe('b0b0b0b0b0b0b0b0');
    await page.close();
  },
);

test('a bad filter shows a plain message, not an error dump', async () => {
  const page = await browser.newPage();
  const res = await page.goto(`${svc.url}/analytics?from=2026-11-30&to=2026-11-01`);
  expect(res?.status()).toBe(400);
  expect(await page.locator('.error').innerText()).toContain('from (2026-11-30) is after to (2026-11-01)');
  await page.close();
});
