/**
 * The CDS Hooks 2.0 request, validated per hook (reference/cds-hooks.md sections 2 and 4).
 * Unknown fields and `extension` pass through untouched: hooks grow optional fields over time.
 * FHIR resources are checked only as far as the service relies on them, so big bundles stay cheap.
 */
import { z } from 'zod';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { HookName } from './services.js';

const relativeRef = (types: string[]) =>
  z
    .string()
    .regex(
      new RegExp(`^(${types.join('|')})/[A-Za-z0-9\\-.]{1,64}$`),
      `must be a reference like ${types[0]}/123 (one of ${types.join(', ')})`,
    );

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

/** Some clients write the patient as a reference; the id is the part after `Patient/`. */
const patientId = z
  .string()
  .transform((v) => (v.startsWith('Patient/') ? v.slice('Patient/'.length) : v))
  .pipe(id);

/**
 * Like patientId, written `Encounter/{id}` by some clients. No service reads the encounter, so a
 * client's `null` is taken as absent rather than costing the clinician the advice.
 */
const encounterId = z.preprocess(
  (v) => (v === null ? undefined : v),
  z
    .string()
    .transform((v) => (v.startsWith('Encounter/') ? v.slice('Encounter/'.length) : v))
    .pipe(id)
    .optional(),
);

/**
 * A FHIR resource is checked only as far as every reader relies on it (its resourceType); past that
 * check it is typed as the FHIR resource it claims to be, and the fact modules read each field defensively.
 */
const resource = z.looseObject({ resourceType: z.string().min(1), id: z.string().optional() }).transform((r) => r as FhirResource);

// A draft order without an id is evaluated; it only cannot be deleted by a suggestion or selected.
const draftOrder = z.looseObject({ resourceType: z.string().min(1), id: id.optional() }).transform((r) => r as FhirResource);

/**
 * Draft orders per request (design.md, "Bounds"): each lumbar order gets its own card, so this also
 * bounds the cards in a response. A signing session holds a handful; thousands are an attack.
 */
export const MAX_DRAFT_ORDERS = 50;

const bundle = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.string().optional(),
    entry: z
      .array(z.looseObject({ resource: draftOrder.optional() }))
      .max(MAX_DRAFT_ORDERS, `at most ${MAX_DRAFT_ORDERS} draft orders per request`)
      .optional(),
  })
  .transform((b) => b as Bundle);

const fhirAuthorization = z.looseObject({
  access_token: z.string().min(1),
  // Absent means Bearer (the only type the spec defines); a numeric string is a number. Both seen from real clients.
  token_type: z
    .string()
    .regex(/^bearer$/i, 'must be "Bearer"')
    .default('Bearer'),
  expires_in: z
    .union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(/^\d{1,10}$/)
        .transform(Number),
    ])
    .optional(),
  scope: z.string().optional(),
  subject: z.string().optional(),
  patient: z.string().optional(),
});

const base = {
  hookInstance: z.guid({ error: 'hookInstance must be a UUID' }),
  fhirServer: z.url({ protocol: /^https?$/, error: 'fhirServer must be an http(s) URL' }).optional(),
  fhirAuthorization: fhirAuthorization.optional(),
  prefetch: z.record(z.string(), resource.nullable()).optional(),
};

const orderContext = {
  userId: relativeRef(['Practitioner', 'PractitionerRole']),
  patientId,
  encounterId,
  draftOrders: bundle,
};

/** `Type/id` of every draft order that has an id. */
function draftOrderRefs(draftOrders: Bundle): string[] {
  return (draftOrders.entry ?? []).flatMap((e) => (e.resource?.id ? [`${e.resource.resourceType}/${e.resource.id}`] : []));
}

/** A selection is `Type/id`; a bare id (some clients send one) names the one draft order with that id, if exactly one has it. */
function resolveSelection(selection: string, orders: readonly string[]): string | undefined {
  if (orders.includes(selection)) return selection;
  if (selection.includes('/')) return undefined;
  const matches = orders.filter((ref) => ref.endsWith(`/${selection}`));
  return matches.length === 1 ? matches[0] : undefined;
}

const CONTEXTS = {
  'order-select': z
    .looseObject({
      ...orderContext,
      selections: z.array(z.string().min(1)).min(1).max(MAX_DRAFT_ORDERS, `at most ${MAX_DRAFT_ORDERS} selections per request`),
    })
    .superRefine((context, ctx) => {
      // Each selection, written as the client wrote it, becomes the `Type/id` of its draft order.
      const orders = draftOrderRefs(context.draftOrders);
      context.selections = context.selections.map((s, i) => {
        const ref = resolveSelection(s, orders);
        if (!ref)
          ctx.addIssue({ code: 'custom', path: ['selections', i], message: `selection "${s}" is not an order in context.draftOrders` });
        return ref ?? s;
      });
    }),
  'order-sign': z.looseObject(orderContext),
  'patient-view': z.looseObject({
    userId: relativeRef(['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson']),
    patientId,
    encounterId,
  }),
} satisfies Record<HookName, z.ZodType>;

function requestSchema<H extends HookName>(hook: H) {
  return z
    .looseObject({ ...base, hook: z.literal(hook, { error: `hook must be "${hook}" for this service` }), context: CONTEXTS[hook] })
    .superRefine((req, ctx) => {
      if (req.fhirAuthorization && !req.fhirServer) {
        ctx.addIssue({ code: 'custom', path: ['fhirServer'], message: 'fhirServer is required when fhirAuthorization is present' });
      }
    });
}

function onlyKeys(body: unknown, keys: readonly string[]): unknown {
  const prefetch = (body as { prefetch?: unknown } | null)?.prefetch;
  if (typeof prefetch !== 'object' || prefetch === null || Array.isArray(prefetch)) return body;
  const kept: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(prefetch, key)) kept[key] = (prefetch as Record<string, unknown>)[key];
  return { ...(body as object), prefetch: kept };
}

type RequestSchemas = { [H in HookName]: ReturnType<typeof requestSchema<H>> };

const SCHEMAS: RequestSchemas = {
  'order-select': requestSchema('order-select'),
  'order-sign': requestSchema('order-sign'),
  'patient-view': requestSchema('patient-view'),
};

/** A validated hook request, as its hook's schema leaves it: `hook` tells which context it carries. */
export type HookRequest = { [H in HookName]: z.output<RequestSchemas[H]> }[HookName];

export type ParseResult<H extends HookName = HookName> =
  { ok: true; request: z.output<RequestSchemas[H]> } | { ok: false; issues: { path: string; message: string }[] };

/**
 * `prefetchKeys`, when given, are the keys the service asked for: any other prefetch key is ignored
 * before validation (a client may send keys meant for another service, in any shape).
 */
export function parseHookRequest<H extends HookName>(hook: H, body: unknown, prefetchKeys?: readonly string[]): ParseResult<H> {
  const schema: RequestSchemas[H] = SCHEMAS[hook];
  const result = schema.safeParse(prefetchKeys ? onlyKeys(body, prefetchKeys) : body);
  if (result.success) return { ok: true, request: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({
      path: i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
      message: i.message.endsWith('received undefined') ? 'is required' : i.message,
    })),
  };
}
