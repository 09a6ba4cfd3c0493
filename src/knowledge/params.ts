/**
 * Rule parameters: a threshold is written once, in the rule's "params", and both the conditions
 * ({"param": "earlyDays"}) and the prose ({{rule.params.earlyDays}}) read it, so the words on a card
 * cannot contradict the number the rule decides with.
 */
import { conditionLeaves, mapConditionLeaves } from './conditions.js';
import type { ConditionNode } from './schemas.js';

export type RuleParams = Readonly<Record<string, number>>;

/** {{rule.params.earlyDays}} (as prose) or {{rule.params.earlyDays.value}} (the bare number). */
export const PARAM_PLACEHOLDER = /^rule\.params\.([a-z][A-Za-z0-9]*)(\.value)?$/;

export function paramName(placeholder: string): string | undefined {
  return PARAM_PLACEHOLDER.exec(placeholder)?.[1];
}

/** A day count in the words a clinician would use: 42 → "6 weeks", 365 → "12 months", 45 → "45 days". */
export function daysInWords(days: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  // "in the last 12 months" reads naturally where "in the last 1 year" does not.
  if (days > 0 && days % 365 === 0) return plural((days / 365) * 12, 'month');
  if (days > 0 && days % 7 === 0) return plural(days / 7, 'week');
  return plural(days, 'day');
}

/** How a parameter reads in prose: "...Days" parameters as a duration, others as the number. */
export function paramText(placeholder: string, params: RuleParams | undefined): string | undefined {
  const m = PARAM_PLACEHOLDER.exec(placeholder);
  const name = m?.[1];
  if (name === undefined || params === undefined || !Object.hasOwn(params, name)) return undefined;
  const value = params[name] as number;
  if (m?.[2] || !name.endsWith('Days')) return String(value);
  return daysInWords(value);
}

/** Every {"param": name} in a condition tree, with its JSON path. */
export function paramRefs(node: unknown, path: string): { name: string; path: string }[] {
  return conditionLeaves<{ value?: unknown }>(node, path).flatMap(({ leaf, path: at }) => {
    const v = leaf.value as { param?: unknown } | null | undefined;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.param === 'string'
      ? [{ name: v.param, path: `${at}.value` }]
      : [];
  });
}

/** The conditions with each {"param": name} replaced by its number; an unknown name is left for the loader to report. */
export function resolveParams(node: ConditionNode, params: RuleParams | undefined): ConditionNode {
  return mapConditionLeaves(node, (leaf) => {
    const v = leaf.value as { param?: unknown } | null;
    if (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof v.param === 'string' &&
      params &&
      Object.hasOwn(params, v.param)
    ) {
      return { ...leaf, value: params[v.param] };
    }
    return leaf;
  });
}
