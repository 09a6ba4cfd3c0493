/**
 * SCOPiC stratification for sciatica (Konstantinou et al. 2019): the STarT Back risk group plus
 * four clinical items decide group 1, 2 or 3. Items and cut-offs come from rules/instruments.json.
 */
import type { Observation } from 'fhir/r4.js';
import type { InstrumentsFile, ScopicDefinition } from '../knowledge/schemas.js';
import { isoDay } from './dates.js';
import type { Episode, EpisodeWindow } from './episode.js';
import { booleanValue, integerValue, observationCounts, observationDate, resultDay } from './observations.js';
import type { Evidence } from './record.js';
import { asArray, conceptText, referenceTo } from './resources.js';
import type { StartBackResult, StartBackRisk } from './startback.js';

export interface ScopicItemValue {
  code: string;
  display: string;
  value: number | boolean;
  positive: boolean;
  evidence: Evidence;
}

export interface ScopicFacts {
  /** Absent when the items recorded cannot decide the group. */
  group?: 1 | 2 | 3;
  items: ScopicItemValue[];
  /** Displays of the items with no usable value since the episode started. */
  missing: string[];
}

type ItemDefinition = ScopicDefinition['items'][number];

function valueOf(obs: Observation, item: ItemDefinition): { value: number | boolean; positive: boolean } | undefined {
  if (item.type === 'boolean') {
    const value = booleanValue(obs);
    return value === undefined ? undefined : { value, positive: value };
  }
  const value = integerValue(obs);
  if (value === undefined || value < item.minValue || value > item.maxValue) return undefined;
  return { value, positive: value > item.positiveAbove };
}

/** For each item, the newest usable Observation dated from the episode start to today. */
export function scopicItemValues(
  observations: Observation[],
  def: ScopicDefinition,
  findingSystem: string,
  fromDay: number,
  today: number,
): ScopicItemValue[] {
  const found: ScopicItemValue[] = [];
  for (const item of def.items) {
    let best: { day: number; reference: string; obs: Observation; read: { value: number | boolean; positive: boolean } } | undefined;
    for (const obs of observations) {
      if (!observationCounts(obs)) continue;
      if (!asArray(obs.code?.coding).some((c) => c?.system === findingSystem && c.code === item.code)) continue;
      const day = resultDay(observationDate(obs), today);
      if (day === undefined || day < fromDay) continue;
      const read = valueOf(obs, item);
      if (!read) continue;
      const reference = referenceTo(obs);
      if (!best || day > best.day || (day === best.day && reference < best.reference)) best = { day, reference, obs, read };
    }
    if (best) {
      found.push({
        code: item.code,
        display: item.display,
        ...best.read,
        evidence: {
          reference: best.reference,
          display: conceptText(best.obs.code, { code: item.code, display: item.display }),
          date: isoDay(best.day),
        },
      });
    }
  }
  return found;
}

/**
 * Group 1 for low risk whatever the items; for medium and high risk, group 3 when enough items are
 * positive, group 2 when enough recorded items are negative, and undecided (undefined) when the
 * missing items could still tip it either way.
 */
export function scopicGroup(risk: StartBackRisk, items: Pick<ScopicItemValue, 'positive'>[], def: ScopicDefinition): 1 | 2 | 3 | undefined {
  if (risk === 'low') return 1;
  const rule = def.groups[risk];
  const positive = items.filter((i) => i.positive).length;
  const negative = items.length - positive;
  if (positive >= rule.group3MinPositive) return 3;
  if (negative >= rule.group2MinNegative) return 2;
  return undefined;
}

/** Only for a sciatica episode with a usable STarT Back result. */
export function scopicFacts(
  observations: Observation[],
  episode: Episode | undefined,
  window: EpisodeWindow | undefined,
  startBack: StartBackResult | undefined,
  instruments: InstrumentsFile,
  today: number,
): ScopicFacts | undefined {
  if (!episode?.sciatica || !window || !startBack) return undefined;
  const def = instruments.scopic;
  const items = scopicItemValues(observations, def, instruments.findingSystem.url, window.startDay, today);
  const group = scopicGroup(startBack.risk, items, def);
  const recorded = new Set(items.map((i) => i.code));
  return {
    ...(group !== undefined ? { group } : {}),
    items,
    missing: def.items.filter((i) => !recorded.has(i.code)).map((i) => i.display),
  };
}
