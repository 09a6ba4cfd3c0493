import { randomUUID } from 'node:crypto';
import type { CardTemplate, RuleDefinition } from '../knowledge/schemas.js';
import { escapeMarkdown, fill, listValue, type CardScope } from './variables.js';
import type { Card, Action, Suggestion } from './types.js';

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

/** `offered(i)` says whether suggestion i passes its offerWhen conditions; suggestions without offerWhen are always offered. */
/** A delete needs a relative reference to its target; an order the EHR sent without an id has none. */
const DELETABLE = /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

export function renderCard(rule: RuleDefinition, template: CardTemplate, scope: CardScope, offered: (index: number) => boolean = () => true): Card {
  // Filled first, so a variable missing from the text is reported before one in a suggestion.
  const summary = shorten(fill(template.summary, scope));
  const detail = template.detail.map((line) => fill(line, scope, escapeMarkdown)).join('\n');
  const canDelete = (s: NonNullable<CardTemplate['suggestions']>[number]): boolean =>
    s.actions.every((a) => a.type !== 'delete' || DELETABLE.test(fill(a.resourceId, scope)));
  const suggestions: Suggestion[] | undefined = template.suggestions?.flatMap((s, i) => ((s.offerWhen && !offered(i)) || !canDelete(s) ? [] : [s])).map((s) => ({
    label: fill(s.label, scope),
    uuid: randomUUID(),
    ...(s.isRecommended !== undefined ? { isRecommended: s.isRecommended } : {}),
    actions: s.actions.map(
      (a): Action =>
        a.type === 'delete'
          ? { type: 'delete', description: fill(a.description, scope), resourceId: fill(a.resourceId, scope) }
          : { type: 'create', description: fill(a.description, scope), resource: fillDeep(a.resource, scope) as Action['resource'] },
    ),
  }));
  return {
    uuid: randomUUID(),
    summary,
    indicator: template.indicator,
    detail,
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
