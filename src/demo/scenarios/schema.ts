/**
 * A scenario is a hand-written synthetic patient and what each service should say about them.
 * Informaticians add one as a JSON file in test/scenarios/, without writing TypeScript.
 */
import { z } from 'zod';
import { RuleExpectationSchema } from './expectations.js';

const resource = z.looseObject({ resourceType: z.string().min(1), id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/) });

export const ScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lower-case words joined by hyphens, like the file name'),
  description: z.string().min(1),
  /** The request time the expectations hold at; the demo server shifts every date so they hold today too. */
  now: z.iso
    .datetime({ offset: true, error: 'use a date and time with its zone, for example "2026-11-23T10:00:00Z"' })
    .meta({ description: 'The request time the expectations hold at, e.g. "2026-11-23T10:00:00Z".' }),
  patient: resource.extend({ resourceType: z.literal('Patient') }),
  /** The patient's record: Conditions, Observations, MedicationRequests, Procedures, ImagingStudies, ServiceRequests. */
  resources: z.array(resource).default([]),
  /** Unsigned orders for the order-select and order-sign hooks (ServiceRequests). */
  draftOrders: z.array(resource).default([]),
  /** References of the orders the clinician selected (order-select); default: every draft order. */
  selections: z.array(z.string()).optional(),
  /** For each service: the rule ids of the cards it must return, in any order; [] means no card. */
  expect: z.record(z.string(), z.array(z.string())).meta({
    description:
      'For each CDS service id (GET /cds-services), the rule ids of the cards it must return, in any order; [] means no card. ' +
      '`npx backpain-cds test` checks them.',
  }),
  /** Finer checks per service: rules that must (not) fire whatever precedence does, and words the cards must say. */
  checks: z
    .record(z.string(), RuleExpectationSchema)
    .meta({
      description:
        'For each CDS service id: "fired" / "notFired" rule ids (before precedence), ' +
        '"cards" and "cardContains" (text a returned card must say). Checked by `npx backpain-cds test` beside "expect".',
    })
    .optional(),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
