/**
 * One rule condition as the explain trace shows it: the engine's own result beside the fact's value.
 * Its own module so the near-miss readers can take it without importing the trace that calls them.
 */
export type FactValue = string | number | boolean;

export type ConditionTrace =
  | { all: ConditionTrace[]; result: boolean }
  | { any: ConditionTrace[]; result: boolean }
  | { not: ConditionTrace; result: boolean }
  | { fact: string; operator: string; value: unknown; factValue?: FactValue; factUnknown?: true; result: boolean };
