import { UTCDate } from '@date-fns/utc';
import { addDays, differenceInCalendarDays } from 'date-fns';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { shiftDates } from '../fhir-server/shift-dates.js';
import type { Scenario } from './schema.js';

/** Whole days from the scenario's `now` to `today`, so the demo server tells today what the scenario tells at its `now`. */
export function shiftToToday(scenario: Scenario, today: Date): number {
  return differenceInCalendarDays(new UTCDate(today.getTime()), new UTCDate(Date.parse(scenario.now)));
}

/** The scenario's record (not its draft orders, which live in the EHR until signed) as a bundle to load. */
export function scenarioBundle(scenario: Scenario, shiftDays = 0): Bundle {
  const resources = [scenario.patient, ...scenario.resources].map((r) => shiftDates(r, shiftDays) as unknown as FhirResource);
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

/** A scenario with every date moved, for requests that must match the shifted demo data. */
export function shiftScenario(scenario: Scenario, shiftDays: number): Scenario {
  return {
    ...shiftDates(scenario, shiftDays),
    now: addDays(new UTCDate(Date.parse(scenario.now)), shiftDays).toISOString(),
  };
}
