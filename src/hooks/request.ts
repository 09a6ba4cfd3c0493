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
    .regex(new RegExp(`^(${types.join('|')})/[A-Za-z0-9\\-.]{1,64}$`), `must be a reference like ${types[0]}/123 (one of ${types.join(', ')})`);

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

const resource = z.looseObject({ resourceType: z.string().min(1), id: z.string().optional() });

// Suggestions delete draft orders by id and selections name them by id, so each needs a real one.
const draftOrder = z.looseObject({ resourceType: z.string().min(1), id });

const bundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.string().optional(),
  entry: z.array(z.looseObject({ resource: draftOrder.optional() })).optional(),
});

const fhirAuthorization = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'must be "Bearer"'),
  expires_in: z.number().int().nonnegative().optional(),
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
  patientId: id,
  encounterId: id.optional(),
  draftOrders: bundle,
};

const CONTEXTS = {
  'order-select': z.looseObject({ ...orderContext, selections: z.array(z.string().min(1)).min(1) }),
  'order-sign': z.looseObject(orderContext),
  'patient-view': z.looseObject({
    userId: relativeRef(['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson']),
    patientId: id,
    encounterId: id.optional(),
  }),
} satisfies Record<HookName, z.ZodType>;

export interface HookRequest {
  hook: HookName;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type: string };
  context: {
    userId: string;
    patientId: string;
    encounterId?: string;
    selections?: string[];
    draftOrders?: Bundle;
  } & Record<string, unknown>;
  prefetch?: Record<string, FhirResource | null>;
}

function requestSchema(hook: HookName) {
  return z
    .looseObject({ ...base, hook: z.literal(hook, { error: `hook must be "${hook}" for this service` }), context: CONTEXTS[hook] })
    .superRefine((req, ctx) => {
      if (req.fhirAuthorization && !req.fhirServer) {
        ctx.addIssue({ code: 'custom', path: ['fhirServer'], message: 'fhirServer is required when fhirAuthorization is present' });
      }
      // Only order-select has selections (already checked to be strings); on another hook the field
      // is not part of the request, whatever its type, and is ignored.
      if (hook !== 'order-select') return;
      const { selections, draftOrders } = req.context as { selections?: string[]; draftOrders?: z.infer<typeof bundle> };
      if (selections && draftOrders) {
        const present = new Set((draftOrders.entry ?? []).map((e) => e.resource && `${e.resource.resourceType}/${e.resource.id}`));
        selections.forEach((s, i) => {
          if (!present.has(s)) {
            ctx.addIssue({ code: 'custom', path: ['context', 'selections', i], message: `selection "${s}" is not an order in context.draftOrders` });
          }
        });
      }
    });
}

const SCHEMAS = Object.fromEntries(
  (Object.keys(CONTEXTS) as HookName[]).map((h) => [h, requestSchema(h)]),
) as Record<HookName, ReturnType<typeof requestSchema>>;

export type ParseResult = { ok: true; request: HookRequest } | { ok: false; issues: { path: string; message: string }[] };

export function parseHookRequest(hook: HookName, body: unknown): ParseResult {
  const result = SCHEMAS[hook].safeParse(body);
  if (result.success) return { ok: true, request: result.data as unknown as HookRequest };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, ''),
      message: i.message.endsWith('received undefined') ? 'is required' : i.message,
    })),
  };
}
