/**
 * The card preview page in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * it shows the cards an EHR would draw for scenario patients, the explain trace beside them, picks
 * up an edited card file on reload, and never runs script injected into card text.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { projectRoot } from '../../src/paths.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { startLiveService, type LiveService } from '../support/live-service.js';
import { regExp } from '../support/regexp.js';

const screenshots = join(projectRoot, 'test-results');

/** The one DOM method the page checks call (tsconfig.json has no DOM lib, so playwright's element types do not resolve). */
type Attributed = { getAttribute(name: string): string | null };

/** Card text an attacker (or a careless paste) could put in a card file. */
const INJECTED = [
  '<script>window.__pwned = "script"</script>',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  "[Open the leaflet](javascript:window.__pwned='link')",
  '<a href="javascript:window.__pwned=\'html-link\'">Read more</a>',
];

let copy: KnowledgeCopy;
let service: LiveService;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  copy = copyKnowledge();
  copy.editJson<{ detail: string[] }>('cards/imaging-defer.json', (card) => void card.detail.push('', ...INJECTED));
  service = await startLiveService(copy, { PREVIEW: 'true' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.dismiss());
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  copy?.remove();
});

async function open(scenario: string, hook: string): Promise<void> {
  await page.goto(`${service.url}/preview/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate('delete document.body.dataset.ready');
  await page.selectOption('#scenario', scenario);
  await page.selectOption('#hook', hook);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(`location.search === ${JSON.stringify(`?${new URLSearchParams({ scenario, hook }).toString()}`)}`);
}

test('the page loads with every scenario patient and the hooks the services answer', async () => {
  await page.goto(`${service.url}/preview/`);
  await page.waitForSelector('body[data-ready="true"]');
  expect(await page.locator('#scenario option').count()).toBeGreaterThan(40);
  expect(await page.locator('#hook option').allTextContents()).toEqual(expect.arrayContaining(['order-select', 'order-sign']));
  expect(await page.textContent('#version')).toMatch(/^[0-9a-f]{16}$/);
});

/** Scenario, hook, the cards' rule ids, the first card's indicator, and whether it offers suggestions. */
const SCENARIOS: [string, string, string[], string | undefined, boolean][] = [
  ['imaging-defer-acute-41-days', 'order-select', ['imaging-defer'], 'warning', true],
  ['imaging-repeat-replaces-defer', 'order-select', ['imaging-repeat'], 'warning', true],
  ['cauda-equina-urinary-retention', 'order-sign', ['cauda-equina-emergency'], 'critical', true],
  ['imaging-defer-two-lumbar-orders', 'order-sign', ['imaging-defer', 'imaging-defer'], 'warning', true],
  ['non-lumbar-knee-xray', 'order-select', [], undefined, false],
];

test.each(SCENARIOS)(
  '%s (%s): the expected cards, drawn as an EHR draws them, with the trace beside them',
  async (scenario, hook, rules, indicator, suggests) => {
    await open(scenario, hook);
    const cards = page.locator('#cards .card');
    expect(await cards.evaluateAll((els: Attributed[]) => els.map((e) => e.getAttribute('data-rule')))).toEqual(rules);
    expect(await page.locator('#cards .badge').first().textContent()).toBe('as expected');
    if (!indicator) {
      expect(await page.locator('#cards .none').first().textContent()).toBe('No cards.');
      expect(await page.locator('#trace').textContent()).toMatch(/No lumbar imaging order/);
    } else {
      const card = cards.first();
      expect(await card.getAttribute('data-indicator')).toBe(indicator);
      const colour = await page.evaluate(`getComputedStyle(document.querySelector('#cards .card')).borderLeftColor`);
      expect(colour).toBe({ info: 'rgb(31, 111, 235)', warning: 'rgb(217, 119, 6)', critical: 'rgb(200, 30, 30)' }[indicator]);
      // Rendered markdown, not markdown source.
      expect(await card.locator('.detail strong').count()).toBeGreaterThan(0);
      expect(await card.locator('.detail').textContent()).not.toMatch(/\*\*/);
      expect(await card.locator('.override option').count()).toBeGreaterThan(0);
      expect((await card.locator('button.suggestion').count()) > 0).toBe(suggests);
      if (suggests) {
        await card.locator('button.suggestion').first().click();
        expect(await card.locator('.actions').first().isVisible()).toBe(true);
      }
      // The trace: every rule of the service, the one that fired first among them.
      const fired = page.locator(`#trace .rule[data-rule="${rules[0]}"]`).first();
      expect(await fired.textContent()).toMatch(/Fired: card shown/);
      expect(await page.locator('#trace table.facts').first().textContent()).toMatch(/Patient\//);
    }
    await page.screenshot({ path: join(screenshots, `preview-${scenario}.png`), fullPage: true });
    expect(statSync(join(screenshots, `preview-${scenario}.png`)).size).toBeGreaterThan(10_000);
  },
);

test('links, suggestions and override reasons are shown; a card link opens outside the page', async () => {
  await open('imaging-defer-acute-41-days', 'order-select');
  const card = page.locator('#cards .card').first();
  expect(
    await card
      .locator('.links a')
      .evaluateAll((as: Attributed[]) => as.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])),
  ).toEqual(expect.arrayContaining([['https://www.nhs.uk/conditions/back-pain/', '_blank', 'noopener noreferrer']]));
  expect(await card.locator('.override option').allTextContents()).toEqual(
    expect.arrayContaining(['Decided with the patient after discussion']),
  );
  expect(await card.locator('button.suggestion.recommended').textContent()).toBe('Remove the lumbar imaging order');
});

test('each card shows its clinical review from the card file: awaiting sign-off, or signed off with date and reviewer role', async () => {
  await open('imaging-repeat-replaces-defer', 'order-select');
  const review = page.locator('#cards .card .review').first();
  expect(await review.getAttribute('data-review-status')).toBe('awaiting-sign-off');
  expect(await review.textContent()).toMatch(
    /^Clinical review: awaiting sign-off \(text changed \d{4}-\d{2}-\d{2}\)\. Not yet signed off\. See issue 14/,
  );
  const before = await service.status();
  copy.editJson<{ clinicalReview: unknown }>('cards/imaging-repeat.json', (card) => {
    card.clinicalReview = { status: 'signed-off', lastReviewed: '2026-12-10', reviewerRole: 'GP, clinical safety officer' };
  });
  await service.until((s) => s.version !== before.version);
  await open('imaging-repeat-replaces-defer', 'order-select');
  const signed = page.locator('#cards .card .review').first();
  expect(await signed.getAttribute('data-review-status')).toBe('signed-off');
  expect(await signed.textContent()).toBe('Last clinically reviewed 2026-12-10 by GP, clinical safety officer: signed off.');
});

test('script injected into card text does not run, and is gone from the page', async () => {
  await open('imaging-defer-acute-41-days', 'order-select');
  const detail = page.locator('#cards .card .detail').first();
  expect(await detail.textContent()).toMatch(/Open the leaflet/);
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await detail.locator('script').count()).toBe(0);
  expect(await detail.locator('[onerror]').count()).toBe(0);
  expect(await detail.locator('a[href^="javascript"]').count()).toBe(0);
  await detail.getByText('Open the leaflet').click();
  await detail.getByText('Read more').click();
  await page.waitForTimeout(200);
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(pageErrors).toEqual([]);
  await page.screenshot({ path: join(screenshots, 'preview-injected-card.png'), fullPage: true });
});

test('an edited card file shows after a page reload', async () => {
  await open('imaging-defer-acute-41-days', 'order-select');
  const before = await service.status();
  copy.editJson<{ summary: string }>(
    'cards/imaging-defer.json',
    (card) => void (card.summary = 'Edited in the file: {{episode.days}} days of back pain, no red flags.'),
  );
  await service.until((s) => s.version !== before.version);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  expect(await page.locator('#cards .card .summary').first().textContent()).toBe('Edited in the file: 41 days of back pain, no red flags.');
  expect(await page.textContent('#version')).toBe((await service.status()).version);
});

test('the hook menu offers only the hooks of the services the scenario names; rule boxes show the rule titles', async () => {
  await page.goto(`${service.url}/preview/?scenario=chronic-pain-phq9-10-referral`);
  await page.waitForSelector('body[data-ready="true"]');
  expect(await page.locator('#hook option').allTextContents()).toEqual(['patient-view']);
  await page.evaluate('delete document.body.dataset.ready');
  await page.selectOption('#scenario', 'imaging-defer-acute-41-days');
  await page.waitForSelector('body[data-ready="true"]');
  expect(await page.locator('#hook option').allTextContents()).toEqual(['order-select', 'order-sign']);
  expect(await page.locator('#trace .rule[data-rule="imaging-defer"] h4').first().textContent()).toBe(
    '✔ imaging-defer: Defer lumbar imaging in the first 6 weeks of back pain',
  );
});

test(
  'a rejected edit: a banner on the page and at the top of /status names ' +
    'the file, the error and the time, and goes when the file is fixed',
  async () => {
    await open('imaging-defer-acute-41-days', 'order-select');
    expect(await page.locator('#rejected').isHidden()).toBe(true);
    const good = await service.status();
    const original = copy.readJson('cards/imaging-defer.json');
    copy.editJson<{ indicator: string }>('cards/imaging-defer.json', (card) => void (card.indicator = 'urgent'));
    const { status } = await service.until((s) => s.lastReload?.outcome === 'rejected');
    expect(status.version).toBe(good.version);

    const top = (await (await fetch(`${service.url}/status`)).json()) as {
      status: string;
      rejectedEdit?: { at: string; files: string[]; message: string; liveVersion: string };
    };
    expect(top.status).toBe('edit-rejected');
    expect(top.rejectedEdit).toMatchObject({ files: ['cards/imaging-defer.json'], liveVersion: good.version, at: status.lastError?.at });
    expect(top.rejectedEdit?.message).toMatch(
      regExp(
        /^Your last edit of cards\/imaging-defer.json was rejected at .*: cards\/imaging-defer.json:\d+:\d+ \(rule "imaging-defer"\):/,
        / indicator: is "urgent"; use one of "info", "warning", "critical"/,
      ),
    );

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const banner = page.locator('#rejected');
    expect(await banner.isVisible()).toBe(true);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('Your last edit was rejected.');
    expect(text).toContain('File: cards/imaging-defer.json.');
    expect(text).toContain(`At: ${status.lastError?.at ?? '?'}.`);
    expect(text).toContain(`previous rules (version ${good.version})`);
    expect(await banner.locator('.problem').first().textContent()).toMatch(/indicator: is "urgent"/);
    // The cards under the banner are the last good ones.
    expect(await page.locator('#cards .card').first().getAttribute('data-indicator')).toBe('warning');
    await page.screenshot({ path: join(screenshots, 'preview-rejected-edit.png'), fullPage: true });

    copy.write('cards/imaging-defer.json', `${JSON.stringify(original, null, 2)}\n`);
    await service.until((s) => s.lastReload?.outcome !== 'rejected');
    expect(((await (await fetch(`${service.url}/status`)).json()) as { status: string }).status).toBe('ok');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#rejected').isHidden()).toBe(true);
  },
);

test('a rule in silent mode: its would-be card is shown apart, marked silent, and not among the cards the EHR gets', async () => {
  const before = await service.status();
  copy.editJson<{ rules: { id: string; mode?: string }[] }>('rules/back-pain-imaging.json', (f) => {
    const defer = f.rules.find((r) => r.id === 'imaging-defer');
    if (defer) defer.mode = 'silent';
  });
  try {
    await service.until((s) => s.version !== before.version && s.lastReload?.outcome === 'loaded');
    await open('imaging-defer-acute-41-days', 'order-select');
    const service0 = page.locator('#cards .service').first();
    expect(await service0.locator('.none').textContent()).toBe('No cards.');
    expect(await service0.locator('.silent-cards h3.silent-title').textContent()).toBe('Silent mode: logged, not shown to the EHR');
    expect(
      await service0.locator('.silent-cards .card').evaluateAll((els: Attributed[]) => els.map((e) => e.getAttribute('data-rule'))),
    ).toEqual(['imaging-defer']);
    const box = page.locator('#trace .rule[data-rule="imaging-defer"]').first();
    expect(await box.getAttribute('class')).toBe('rule silent');
    expect(await box.textContent()).toMatch(
      /silent mode.*Fired: silent mode, card logged for ServiceRequest\/bp-defer-41-mri but not returned to the EHR\./,
    );
    await page.screenshot({ path: join(screenshots, 'preview-silent-mode.png'), fullPage: true });
  } finally {
    copy.editJson<{ rules: { id: string; mode?: string }[] }>('rules/back-pain-imaging.json', (f) => {
      for (const r of f.rules) delete r.mode;
    });
  }
});
