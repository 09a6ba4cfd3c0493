/**
 * A body temperature in °C from an Observation's valueQuantity, however the unit is written. Real
 * records carry UCUM codes (`Cel`, `[degF]`), symbols (`°C`, `℃`, `º F`), words (`deg C`,
 * `degrees Fahrenheit`) or no unit at all; an unread unit would hide a fever behind "no red flags".
 */
import type { Quantity } from 'fhir/r4.js';

const CELSIUS = new Set(['cel', 'c', '°c', 'degc', 'degreesc', 'degreec', 'celsius', 'degcelsius', 'degreescelsius', 'centigrade']);
const FAHRENHEIT = new Set(['[degf]', 'f', '°f', 'degf', 'degreesf', 'degreef', 'fahrenheit', 'degfahrenheit', 'degreesfahrenheit']);

type Scale = 'C' | 'F';

function scaleOf(unit: unknown): Scale | undefined {
  if (typeof unit !== 'string') return undefined;
  // ˚ and º stand in for ° in many records; NFKC makes ℃ and ℉ into °C and °F.
  const key = unit.replace(/[˚º]/gu, '°').normalize('NFKC').toLowerCase().replace(/[\s.]/gu, '');
  if (CELSIUS.has(key)) return 'C';
  if (FAHRENHEIT.has(key)) return 'F';
  return undefined;
}

/**
 * Without a unit it reads, the number alone decides: a living body is 25-45 °C or 77-113 °F, and
 * the two ranges do not meet. A comparator `<` or `<=` makes the value an upper bound, which cannot
 * show a fever; `>` and `>=` make it a lower bound, which can.
 */
export function celsius(q: Quantity | undefined): number | undefined {
  if (!q || typeof q !== 'object' || typeof q.value !== 'number' || !Number.isFinite(q.value)) return undefined;
  if (q.comparator === '<' || q.comparator === '<=') return undefined;
  const value = q.value;
  const scale = scaleOf(q.code) ?? scaleOf(q.unit) ?? (value >= 25 && value <= 45 ? 'C' : value >= 77 && value <= 113 ? 'F' : undefined);
  if (scale === 'C') return value;
  if (scale === 'F') return ((value - 32) * 5) / 9;
  return undefined;
}
