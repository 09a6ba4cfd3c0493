import { randomUUID } from 'node:crypto';
import type { CardTemplate, RuleDefinition } from '../knowledge/schemas.js';
import { escapeMarkdown, fill, listValue, type CardScope } from './variables.js';
import type { Card, Action, Suggestion } from './types.js';
import { detailGuardId, suggestionGuardId } from '../knowledge/guards.js';

export const RULE_SYSTEM = 'urn:backpain-cds:rule';
export const OVERRIDE_REASON_SYSTEM = 'urn:backpain-cds:override-reason';
/** The spec says "<140 characters"; a summary is cut at a word rather than sent too long. */
export const SUMMARY_MAX = 139;

function shorten(summary: string): string {
  if (summary.length <= SUMMARY_MAX) return summary;
  const cut = summary.slice(0, SUMMARY_MAX - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 1))}…`;
}

/**
 * Fills a suggested resource. CDS Hooks and FHIR both forbid null and empty arrays, so a null in the
 * template, or a list variable with nothing in it, leaves its field out instead.
 */
function fillDeep(value: unknown, scope: CardScope): unknown {
  if (typeof value === 'string') {
    // A list's items come from the record: they are data, never filled as templates.
    const list = listValue(value, scope);
    if (list === undefined) return fill(value, scope);
    return list.length ? list : undefined;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const filled = fillDeep(v, scope);
      if (filled !== undefined) out.push(filled);
    }
    return out.length ? out : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const filled = fillDeep(v, scope);
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return value ?? undefined;
}

/** A delete needs a relative reference to its target; an order the EHR sent without an id has none. */
const DELETABLE = /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

type ActionTemplate = NonNullable<CardTemplate['suggestions']>[number]['actions'][number];

function renderActions(actions: readonly ActionTemplate[], scope: CardScope): Action[] {
  return actions.flatMap((a): Action[] => {
    if (a.type === 'delete') {
      // One delete per order in scope: a patient-scoped card removes every routine order at once.
      const targets = a.forEach === 'order' ? (scope.orders ?? []).map((order) => ({ ...scope, order })) : [scope];
      return targets.map((t) => ({ type: 'delete', description: fill(a.description, t), resourceId: fill(a.resourceId, t) }));
    }
    return [{ type: 'create', description: fill(a.description, scope), resource: fillDeep(a.resource, scope) as Action['resource'] }];
  });
}

/** A suggestion that deletes "each order" has nothing to do without an order in scope, so it is not offered then. */
function needsOrders(actions: readonly ActionTemplate[], scope: CardScope): boolean {
  return actions.some((a) => a.type === 'delete' && a.forEach === 'order') && !scope.orders?.length;
}

/**
 * `holds(id)` says whether the guard with that id (a suggestion's offerWhen, a detail block's when;
 * ids from suggestionGuardId and detailGuardId) holds for this patient; unguarded parts always show.
 */
export function renderCard(
  rule: RuleDefinition,
  template: CardTemplate,
  base: CardScope,
  holds: (guardId: string) => boolean = () => true,
): Card {
  const scope: CardScope = rule.params ? { ...base, params: rule.params } : base;
  // Filled first, so a variable missing from the text is reported before one in a suggestion.
  const summary = shorten(fill(template.summary, scope));
  const suggestions: Suggestion[] | undefined = template.suggestions
    ?.flatMap((s, i) => ((s.offerWhen && !holds(suggestionGuardId(rule.id, i))) || needsOrders(s.actions, scope) ? [] : [s]))
    .map((s) => ({ s, actions: renderActions(s.actions, scope) }))
    // A delete needs an id to name its target: an order the EHR sent without one is never offered for deletion.
    .filter(({ actions }) => actions.every((a) => a.type !== 'delete' || DELETABLE.test(a.resourceId ?? '')))
    .map(({ s, actions }) => ({
      label: fill(s.label, scope),
      uuid: randomUUID(),
      ...(s.isRecommended !== undefined ? { isRecommended: s.isRecommended } : {}),
      actions,
    }));
  const detail = template.detail.flatMap((line, i): string[] => {
    if (typeof line === 'string') return [line];
    if ('lines' in line) return holds(detailGuardId(rule.id, i)) ? line.lines : [];
    throw new Error(`card ${template.rule}: detail[${i}] includes "${line.include}", which loading should have replaced`);
  });
  return {
    uuid: randomUUID(),
    summary,
    indicator: template.indicator,
    detail: detail.map((line) => fill(line, scope, escapeMarkdown)).join('\n'),
    source: {
      label: template.source.label,
      ...(template.source.url ? { url: template.source.url } : {}),
      topic: { system: RULE_SYSTEM, code: rule.id, display: rule.title },
    },
    ...(suggestions?.length ? { suggestions, selectionBehavior: template.selectionBehavior ?? 'at-most-one' } : {}),
    ...(template.overrideReasons?.length
      ? { overrideReasons: template.overrideReasons.map((r) => ({ system: OVERRIDE_REASON_SYSTEM, code: r.code, display: r.display })) }
      : {}),
    ...(template.links?.length ? { links: template.links.map((l) => ({ ...l })) } : {}),
  };
}
