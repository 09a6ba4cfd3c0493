/**
 * How long a prescription lasts when it does not say so. Many EHRs send no
 * dispenseRequest.expectedSupplyDuration, only the quantity to dispense and the dose: 90 tablets at
 * 1 tablet once a day last 90 days. Read only when the units agree (or one side has none), so a
 * quantity in tablets is never divided by a dose in milligrams.
 */
import type { MedicationRequest, Quantity } from 'fhir/r4.js';
import { asArray, str } from './resources.js';

/** UCUM's calendar units in days (a month as 30, a year as 365), shared with supply durations (findings.ts). */
export const UCUM_DAYS = { d: 1, wk: 7, mo: 30, a: 365 } as const;

const PERIOD_DAYS = new Map(Object.entries({ s: 1 / 86400, min: 1 / 1440, h: 1 / 24, ...UCUM_DAYS }));

/** "Tablets", "{tbl}", "TAB" and "tablet" are one unit; "" is none. */
function unitOf(q: Quantity): string {
  const unit = (str(q.code) ?? str(q.unit) ?? '').toLowerCase().replace(/[{}\s]/g, '');
  return unit === 'tab' || unit === 'tbl' ? 'tablet' : unit.replace(/s$/, '');
}

/** Days of supply from quantity and dose, else undefined. */
export function quantitySupplyDays(req: MedicationRequest): number | undefined {
  const quantity = req.dispenseRequest?.quantity;
  if (!quantity || typeof quantity.value !== 'number' || !Number.isFinite(quantity.value) || quantity.value <= 0) return undefined;
  for (const dosage of asArray(req.dosageInstruction)) {
    const repeat = dosage?.timing?.repeat;
    const dose = asArray(dosage?.doseAndRate)
      .map((d) => d?.doseQuantity)
      .find((q): q is Quantity => typeof q?.value === 'number' && Number.isFinite(q.value) && q.value > 0);
    const periodDays = PERIOD_DAYS.get(str(repeat?.periodUnit) ?? '');
    if (!repeat || !dose || periodDays === undefined) continue;
    const [qUnit, dUnit] = [unitOf(quantity), unitOf(dose)];
    if (qUnit && dUnit && qUnit !== dUnit) continue;
    const frequency = typeof repeat.frequency === 'number' && repeat.frequency > 0 ? repeat.frequency : 1;
    const period = typeof repeat.period === 'number' && repeat.period > 0 ? repeat.period : 1;
    const perDay = ((dose.value as number) * frequency) / (period * periodDays);
    const days = Math.round(quantity.value / perDay);
    if (days >= 1) return Math.min(days, 366);
  }
  return undefined;
}
