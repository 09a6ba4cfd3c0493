// The card preview page. Everything from a card or the record is written with textContent, except
// the card's markdown detail, which marked renders and DOMPurify sanitises before it is inserted.
import { marked } from '/preview/vendor/marked.js';
import DOMPurify from '/preview/vendor/purify.js';

const $ = (id) => document.getElementById(id);

// A card link opens outside the page and cannot reach back into it.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** Only http(s) links become anchors; anything else is shown as text. */
function safeLink(url, label) {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      return el('a', { href: u.href, target: '_blank', rel: 'noopener noreferrer' }, label);
    }
  } catch {
    // not a URL: fall through to text
  }
  return el('span', { class: 'no' }, `${label} (link refused: ${url})`);
}

function markdown(text) {
  const html = marked.parse(text, { async: false, gfm: true });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

/** The card file's clinical review: signed off (date, reviewer role) or awaiting sign-off since a change. */
function renderReview(review) {
  if (!review) return el('p', { class: 'review review-unknown', 'data-review-status': 'unknown' }, 'Clinical review: not recorded.');
  const parts =
    review.status === 'signed-off'
      ? [`Last clinically reviewed ${review.lastReviewed} by ${review.reviewerRole}: signed off.`]
      : [
          `Clinical review: awaiting sign-off (text changed ${review.changed}).`,
          review.lastReviewed
            ? ` Last signed off ${review.lastReviewed}${review.reviewerRole ? ` by ${review.reviewerRole}` : ''}.`
            : ' Not yet signed off.',
        ];
  if (review.reference) parts.push(` See ${review.reference}.`);
  return el('p', { class: `review review-${review.status}`, 'data-review-status': review.status }, parts.join(''));
}

function renderCard(card, reviews = {}) {
  const indicator = ['info', 'warning', 'critical'].includes(card.indicator) ? card.indicator : 'info';
  const node = el('article', {
    class: `card indicator-${indicator}`,
    'data-rule': card.source?.topic?.code ?? '',
    'data-indicator': indicator,
  });
  node.append(
    el('div', { class: 'card-head' }, el('span', { class: 'indicator' }, indicator), el('h3', { class: 'summary' }, card.summary)),
  );
  const source = el('div', { class: 'source' }, 'Source: ');
  source.append(card.source?.url ? safeLink(card.source.url, card.source.label) : (card.source?.label ?? ''));
  node.append(source);
  if (card.detail) {
    const detail = el('div', { class: 'detail' });
    detail.innerHTML = markdown(card.detail);
    node.append(detail);
  }
  if (card.suggestions) {
    const box = el('div', { class: 'suggestions' });
    box.append(el('div', { class: 'choice' }, card.selectionBehavior === 'any' ? 'Choose any:' : 'Choose at most one:'));
    for (const s of card.suggestions) {
      const button = el('button', { type: 'button', class: `suggestion${s.isRecommended ? ' recommended' : ''}` }, s.label);
      const actions = el(
        'ul',
        { class: 'actions', hidden: '' },
        ...s.actions.map((a) =>
          el(
            'li',
            {},
            `${a.type}: ${a.description}${a.resourceId ? ` (${a.resourceId})` : ''}` +
              (a.resource?.resourceType ? ` (new ${a.resource.resourceType})` : ''),
          ),
        ),
      );
      button.addEventListener('click', () => actions.toggleAttribute('hidden'));
      box.append(button, actions);
    }
    node.append(box);
  }
  if (card.links) {
    node.append(el('ul', { class: 'links' }, ...card.links.map((l) => el('li', {}, safeLink(l.url, l.label)))));
  }
  node.append(renderReview(reviews[card.source?.topic?.code]));
  if (card.overrideReasons) {
    const select = el(
      'select',
      { 'aria-label': 'Override reason' },
      ...card.overrideReasons.map((r) => el('option', { value: r.code }, r.display)),
    );
    node.append(
      el(
        'div',
        { class: 'override' },
        el('span', {}, 'Dismiss with reason:'),
        select,
        el('button', { type: 'button', class: 'dismiss' }, 'Dismiss'),
      ),
    );
  }
  return node;
}

function value(v, unknown) {
  return unknown ? 'unknown' : JSON.stringify(v);
}

const OPERATORS = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  doesNotContain: 'does not contain',
};

function renderCondition(c) {
  const mark = el('span', { class: c.result ? 'ok' : 'no' }, c.result ? '✔ ' : '✘ ');
  for (const op of ['all', 'any']) {
    if (c[op]) return el('li', {}, mark, `${op} of:`, el('ul', { class: 'conditions' }, ...c[op].map(renderCondition)));
  }
  if (c.not) return el('li', {}, mark, 'not:', el('ul', { class: 'conditions' }, renderCondition(c.not)));
  return el(
    'li',
    {},
    mark,
    el('code', {}, c.fact),
    ` is ${value(c.factValue, c.factUnknown)}; rule needs ${OPERATORS[c.operator] ?? c.operator} ${JSON.stringify(c.value)}`,
  );
}

function evidenceText(f) {
  const parts = (f.evidence ?? []).map(
    (e) => `${e.label ? `${e.label}: ` : ''}${e.display} (${e.reference}${e.date ? `, ${e.date}` : ''})`,
  );
  if (f.note) parts.push(f.note);
  return parts.join('; ');
}

function renderTrace(trace) {
  const box = el('div', { class: 'trace' });
  box.append(
    el('p', { class: 'muted' }, `Rules ${trace.rulesFile ?? ''} version ${trace.rulesVersion}; request time ${trace.requestTime}.`),
  );
  if (!trace.evaluated) {
    box.append(el('p', { class: 'not-evaluated' }, trace.reason));
    return box;
  }
  if (trace.orders) box.append(el('p', {}, `Orders in scope: ${trace.orders.map((o) => `${o.display} (${o.reference})`).join('; ')}`));
  box.append(
    el(
      'table',
      { class: 'facts' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Fact'), el('th', {}, 'Value'), el('th', {}, 'From the record'))),
      el(
        'tbody',
        {},
        ...trace.facts.map((f) =>
          el('tr', {}, el('td', {}, el('code', {}, f.name)), el('td', {}, value(f.value, f.unknown)), el('td', {}, evidenceText(f))),
        ),
      ),
    ),
  );
  for (const r of trace.rules) {
    const replaced = r.fired && r.outcomes.every((o) => !o.shown);
    const silent = r.fired && r.outcomes.some((o) => o.silent);
    const mark = r.fired ? (silent ? '◌' : replaced ? '⤳' : '✔') : '✘';
    box.append(
      el(
        'div',
        { class: `rule ${r.fired ? (silent ? 'silent' : replaced ? 'replaced' : 'fired') : 'not-fired'}`, 'data-rule': r.id },
        el(
          'h4',
          {},
          `${mark} ${r.id}`,
          el('span', { class: 'rule-title' }, `: ${r.title}`),
          r.mode === 'silent' ? el('span', { class: 'mode' }, 'silent mode') : null,
        ),
        el('div', {}, r.why),
        el('ul', { class: 'conditions' }, renderCondition(r.conditions)),
      ),
    );
  }
  if (trace.unknowns)
    box.append(el('div', {}, el('strong', {}, 'Could not be decided: '), el('ul', {}, ...trace.unknowns.map((u) => el('li', {}, u)))));
  return box;
}

/** A save the service refused: the page must not look as if the edit were live. */
function showRejected(rejected) {
  const box = $('rejected');
  if (!rejected) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    el('strong', {}, 'Your last edit was rejected. '),
    el(
      'span',
      {},
      `File: ${rejected.files.join(', ')}. At: ${rejected.at}. ` +
        `The cards below come from the previous rules (version ${rejected.liveVersion}), not from your edit.`,
    ),
    el(
      'ul',
      {},
      ...rejected.problems.map((p) =>
        el(
          'li',
          { class: 'problem' },
          `${p.file}${p.line ? `:${p.line}:${p.column}` : ''}${p.rule ? ` (rule "${p.rule}")` : ''}: ${p.path || '(file)'}: ${p.message}`,
        ),
      ),
    ),
    el('span', {}, 'Fix the file and save it again, then reload this page.'),
  );
  box.hidden = false;
}

/** The hooks of the services the scenario expects something from; every hook when it names none. */
function hooksFor(scenario, all) {
  return scenario?.hooks.length ? all.filter((h) => scenario.hooks.includes(h)) : all;
}

/** Broken scenario files stay reported while the others are shown. */
let warning = '';

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

async function show() {
  const scenario = $('scenario').value;
  const hook = $('hook').value;
  const params = new URLSearchParams({ scenario, hook });
  history.replaceState(null, '', `?${params}`);
  setStatus('Loading…');
  const cards = $('cards');
  const trace = $('trace');
  try {
    const run = await getJson(`/preview/api/run?${params}`);
    $('version').textContent = run.rulesVersion;
    showRejected(run.rejectedEdit);
    $('scenario-description').textContent = `${run.scenario.description} (request time ${run.scenario.now})`;
    cards.replaceChildren(el('h2', {}, 'Cards'));
    trace.replaceChildren(el('h2', {}, 'Why'));
    for (const r of run.results) {
      const expected = r.expected
        ? el(
            'span',
            { class: `badge ${r.pass ? 'pass' : 'fail'}` },
            r.pass ? 'as expected' : `expected: ${r.expected.join(', ') || 'no card'}`,
          )
        : null;
      const head = el('h2', {}, `${r.service.title} `, expected);
      const section = el('div', { class: 'service', 'data-service': r.service.id }, head);
      if (r.error) section.append(el('div', { class: 'error-box' }, r.error));
      else if (r.cards.length === 0) section.append(el('p', { class: 'none' }, 'No cards.'));
      else for (const card of r.cards) section.append(renderCard(card, run.reviews));
      if (r.silentCards) {
        section.append(
          el(
            'div',
            { class: 'silent-cards' },
            el('h3', { class: 'silent-title' }, 'Silent mode: logged, not shown to the EHR'),
            ...r.silentCards.map((card) => renderCard(card, run.reviews)),
          ),
        );
      }
      cards.append(section);
      const why = el('div', { class: 'service', 'data-service': r.service.id }, el('h2', {}, r.service.title));
      if (r.trace) why.append(renderTrace(r.trace));
      trace.append(why);
    }
    setStatus(warning, Boolean(warning));
    document.body.dataset.ready = 'true';
  } catch (err) {
    setStatus(`Could not run the scenario: ${err.message}`, true);
  }
}

async function start() {
  try {
    const list = await getJson('/preview/api/scenarios');
    $('version').textContent = list.rulesVersion;
    showRejected(list.rejectedEdit);
    const wanted = new URLSearchParams(location.search);
    $('scenario').replaceChildren(...list.scenarios.map((s) => el('option', { value: s.id, title: s.description }, s.id)));
    if (list.scenarios.some((s) => s.id === wanted.get('scenario'))) $('scenario').value = wanted.get('scenario');
    const hookMenu = () => {
      const scenario = list.scenarios.find((s) => s.id === $('scenario').value);
      const hooks = hooksFor(scenario, list.hooks);
      const current = $('hook').value;
      $('hook').replaceChildren(...hooks.map((h) => el('option', { value: h }, h)));
      if (hooks.includes(current)) $('hook').value = current;
      return hooks;
    };
    const hooks = hookMenu();
    const hook = wanted.get('hook');
    if (hooks.includes(hook)) $('hook').value = hook;
    if (list.errors) {
      warning = `Some scenario files could not be read: ${list.errors.join(' | ')}`;
      setStatus(warning, true);
    }
    $('scenario').addEventListener('change', () => {
      hookMenu();
      void show();
    });
    $('hook').addEventListener('change', () => void show());
    if (list.scenarios.length) await show();
  } catch (err) {
    setStatus(`Could not load the scenarios: ${err.message}`, true);
  }
}

void start();
