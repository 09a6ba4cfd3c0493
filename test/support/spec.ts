/**
 * Checks a response against CDS Hooks 2.0 as reference/cds-hooks.md reads it. Every test that
 * gets a card response runs it, so a template change that breaks the spec fails loudly.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function fail(path: string, message: string): never {
  throw new Error(`not spec-conformant at ${path}: ${message}`);
}

function noNullsOrEmptyArrays(value: unknown, path: string): void {
  if (value === null) fail(path, 'null is not allowed');
  if (Array.isArray(value)) {
    if (value.length === 0) fail(path, 'an empty optional array must be omitted');
    value.forEach((v, i) => noNullsOrEmptyArrays(v, `${path}[${i}]`));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) fail(`${path}.${k}`, 'undefined');
      noNullsOrEmptyArrays(v, `${path}.${k}`);
    }
  }
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'a non-empty string is required');
  return value;
}

export function assertCdsResponse(body: unknown): void {
  if (typeof body !== 'object' || body === null) fail('$', 'not an object');
  const cards = (body as { cards?: unknown }).cards;
  if (!Array.isArray(cards)) fail('$.cards', 'cards must be an array');
  const uuids = new Set<string>();
  const unique = (u: string, path: string): void => {
    if (!UUID.test(u)) fail(path, `not a UUID: ${u}`);
    if (uuids.has(u)) fail(path, 'uuid used twice');
    uuids.add(u);
  };
  cards.forEach((card: Record<string, unknown>, i: number) => {
    const at = `$.cards[${i}]`;
    noNullsOrEmptyArrays(card, at);
    unique(str(card.uuid, `${at}.uuid`), `${at}.uuid`);
    const summary = str(card.summary, `${at}.summary`);
    if (summary.length >= 140) fail(`${at}.summary`, `${summary.length} characters`);
    if (!['info', 'warning', 'critical'].includes(card.indicator as string)) fail(`${at}.indicator`, String(card.indicator));
    const source = card.source as Record<string, unknown> | undefined;
    if (!source) fail(`${at}.source`, 'required');
    str(source.label, `${at}.source.label`);
    if (source.url !== undefined && (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url)))
      fail(`${at}.source.url`, 'must be absolute');
    if (source.topic) {
      const topic = source.topic as Record<string, unknown>;
      str(topic.system, `${at}.source.topic.system`);
      str(topic.code, `${at}.source.topic.code`);
    }
    if (card.detail !== undefined) str(card.detail, `${at}.detail`);
    const suggestions = card.suggestions as Record<string, unknown>[] | undefined;
    if (suggestions) {
      if (!['at-most-one', 'any'].includes(card.selectionBehavior as string)) fail(`${at}.selectionBehavior`, 'required with suggestions');
      suggestions.forEach((s, j) => {
        const sp = `${at}.suggestions[${j}]`;
        str(s.label, `${sp}.label`);
        unique(str(s.uuid, `${sp}.uuid`), `${sp}.uuid`);
        const actions = s.actions as Record<string, unknown>[] | undefined;
        if (!actions) fail(`${sp}.actions`, 'a suggestion without actions does nothing');
        actions.forEach((a, k) => {
          const ap = `${sp}.actions[${k}]`;
          if (!['create', 'update', 'delete'].includes(a.type as string)) fail(`${ap}.type`, String(a.type));
          str(a.description, `${ap}.description`);
          if (a.type === 'delete' && !/^[A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(String(a.resourceId)))
            fail(`${ap}.resourceId`, 'a relative reference is required for delete');
          if (a.type !== 'delete' && typeof (a.resource as { resourceType?: unknown } | undefined)?.resourceType !== 'string')
            fail(`${ap}.resource`, 'a full resource is required');
        });
      });
    } else if (card.selectionBehavior !== undefined) {
      fail(`${at}.selectionBehavior`, 'only with suggestions');
    }
    ((card.overrideReasons as Record<string, unknown>[] | undefined) ?? []).forEach((r, j) => {
      str(r.system, `${at}.overrideReasons[${j}].system`);
      str(r.code, `${at}.overrideReasons[${j}].code`);
      str(r.display, `${at}.overrideReasons[${j}].display`);
    });
    ((card.links as Record<string, unknown>[] | undefined) ?? []).forEach((l, j) => {
      str(l.label, `${at}.links[${j}].label`);
      if (!/^https?:\/\//.test(String(l.url))) fail(`${at}.links[${j}].url`, 'must be absolute');
      if (!['absolute', 'smart'].includes(l.type as string)) fail(`${at}.links[${j}].type`, String(l.type));
    });
  });
}

export function assertOperationOutcome(body: unknown): void {
  const oo = body as { resourceType?: unknown; issue?: { severity?: unknown; code?: unknown; diagnostics?: unknown }[] };
  if (oo?.resourceType !== 'OperationOutcome') fail('$', `expected an OperationOutcome, got ${JSON.stringify(body)?.slice(0, 200)}`);
  if (!Array.isArray(oo.issue) || oo.issue.length === 0) fail('$.issue', 'at least one issue');
  oo.issue.forEach((i, n) => {
    str(i.severity, `$.issue[${n}].severity`);
    str(i.code, `$.issue[${n}].code`);
    str(i.diagnostics, `$.issue[${n}].diagnostics`);
  });
}

export function ruleIds(body: { cards: { source: { topic?: { code: string } } }[] }): string[] {
  return body.cards.map((c) => c.source.topic?.code ?? '?').sort();
}
