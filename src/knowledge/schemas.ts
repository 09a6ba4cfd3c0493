/**
 * The shapes of the files informaticians edit (value sets, red-flag definitions, rule files, card
 * templates). These zod schemas are the one source of truth: the loader checks files with them and
 * the JSON Schemas for editors are generated from them.
 */
import { z } from 'zod';
import { ENGINE_FACT_NAMES } from './fact-docs.js';
import { canonicalSystem, isKnownSystem, knownSystems, nearestKnownSystem } from './code-systems.js';

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lower-case words joined by hyphens, for example "red-flag-fever"');

/**
 * Markers the editor schemas replace (src/cli/json-schemas.ts): the value set ids and code
 * systems that exist are known only when `schemas` runs, so the zod schema marks where they go.
 */
export const VALUE_SET_ID_MARK = 'x-backpain-cds-value-set-id';
export const CODE_SYSTEM_MARK = 'x-backpain-cds-code-system';
export const SERVICE_ID_MARK = 'x-backpain-cds-service-id';

/** A value set named by its id: rules/valuesets/<id>.json must exist. */
const valueSetId = slug.meta({
  [VALUE_SET_ID_MARK]: true,
  description: 'The id of a value set in rules/valuesets/ (its file name without .json).',
});

/** Links a clinician may click: http(s) only, so a card can never carry a javascript: or data: link. */
const webUrl = z.url({ protocol: /^https?$/, error: 'use an absolute http:// or https:// address' });

/** "$schema" names the JSON Schema an editor checks the file against while the informatician types. */
const schemaRef = z.string().meta({ description: 'The JSON Schema for this file, so an editor checks it as you type.' }).optional();

/** A code system URI a value set may name: a known system in its URI or OID form (src/knowledge/code-systems.ts). */
const codeSystem = z
  .string()
  .min(1)
  .check((ctx) => {
    if (!isKnownSystem(ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message:
          `unknown code system ${JSON.stringify(ctx.value)}: did you mean ${nearestKnownSystem(ctx.value)}? ` +
          `(known: ${knownSystems().join(', ')}, or their urn:oid: forms)`,
      });
    }
  })
  // OID forms and stray trailing slashes are read as the system they name, so the compiled set, the
  // published resource and every check see one spelling.
  .transform((system) => canonicalSystem(system) ?? system)
  .meta({ [CODE_SYSTEM_MARK]: true, description: `Code system URI (or its urn:oid: form): ${knownSystems().join(', ')}.` });

/** The filter operators of FHIR R4 (filter-operator); only ICD-10 is-a / descendent-of are evaluated at run time. */
export const FILTER_OPS = ['=', 'is-a', 'descendent-of', 'is-not-a', 'regex', 'in', 'not-in', 'generalizes', 'exists'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

const ConceptSchema = z.strictObject({
  code: z.string().min(1),
  display: z.string().min(1).optional(),
});

const FilterSchema = z.strictObject({
  property: z.string().min(1).meta({ description: '"concept" for the hierarchy.' }),
  op: z.enum(FILTER_OPS).meta({
    description:
      '"is-a": the concept and every descendant; "descendent-of": descendants only. For ICD-10 / ICD-10-CM ' +
      'the service reads these as code prefixes (M54.5 matches M54.50); for SNOMED, LOINC, RxNorm and CPT ' +
      'they document intent and their members must be listed in expansion.contains.',
  }),
  value: z.string().min(1),
});

const ConceptSetSchema = z
  .strictObject({
    system: codeSystem,
    version: z.string().min(1).optional(),
    concept: z.array(ConceptSchema).min(1).optional(),
    filter: z.array(FilterSchema).min(1).optional(),
  })
  .refine((set) => set.concept || set.filter, 'list "concept" or "filter": without them this would mean every code in the system');

const ContainsSchema = z.strictObject({
  system: codeSystem,
  version: z.string().min(1).optional(),
  code: z.string().min(1),
  display: z.string().min(1).optional(),
  abstract: z.boolean().optional(),
  inactive: z.boolean().optional(),
});

export const TEXT_INCLUDES = 'urn:backpain-cds:valueset:text-includes';
export const TEXT_EXCLUDES = 'urn:backpain-cds:valueset:text-excludes';

/**
 * Medication names are often sent as text only: a medication matches when its code display or text
 * contains a text-includes word, unless it also contains a text-excludes word (inhaled, topical forms).
 */
const TextExtensionSchema = z.strictObject({
  url: z.enum([TEXT_INCLUDES, TEXT_EXCLUDES]),
  valueString: z.string().min(2),
});

/**
 * rules/valuesets/<id>.json: a FHIR R4 ValueSet. compose says what the set means; expansion is the
 * list the service matches at run time (no terminology server is needed), committed with the file so
 * the expansion in force is part of the rules version.
 */
export const ValueSetFileSchema = z.strictObject({
  $schema: schemaRef,
  resourceType: z.literal('ValueSet'),
  id: slug.meta({ description: 'Must equal the file name without .json; rules and findings name the set by it.' }),
  identifier: z
    .array(z.strictObject({ system: z.string().min(1).optional(), value: z.string().min(1) }))
    .min(1)
    .meta({ description: 'Other identifiers, e.g. the VSAC OID of the value set it was imported from.' })
    .optional(),
  url: z
    .string()
    .regex(/^urn:backpain-cds:valueset:[a-z0-9]+(-[a-z0-9]+)*$/, 'use "urn:backpain-cds:valueset:" followed by the id')
    .meta({ description: 'urn:backpain-cds:valueset:<id>' }),
  version: z.string().min(1).meta({ description: 'The date of the expansion in force, e.g. 2026-12-03.' }),
  name: z.string().regex(/^[A-Z]([A-Za-z0-9_]){0,254}$/, 'a computer-friendly name such as "RedFlagCancer" (FHIR vsd-0)'),
  title: z.string().min(1),
  status: z.enum(['draft', 'active', 'retired', 'unknown']),
  experimental: z.boolean().optional(),
  date: z.string().min(1).optional(),
  publisher: z.string().min(1).optional(),
  description: z.string().min(1).meta({ description: 'What the set covers and where its codes came from.' }),
  purpose: z.string().min(1).optional(),
  copyright: z.string().min(1).optional(),
  compose: z.strictObject({
    include: z.array(ConceptSetSchema).min(1),
    exclude: z.array(ConceptSetSchema).min(1).optional(),
  }),
  expansion: z.strictObject({
    identifier: z.string().min(1).meta({ description: 'urn:uuid: of this expansion.' }),
    timestamp: z.string().min(1).meta({ description: 'When the expansion was made (FHIR dateTime).' }),
    total: z.int().min(0).optional(),
    offset: z.int().min(0).optional(),
    /** What the terminology server says it expanded with (code system versions, count). */
    parameter: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          valueString: z.string().optional(),
          valueUri: z.string().optional(),
          valueCode: z.string().optional(),
          valueBoolean: z.boolean().optional(),
          valueInteger: z.int().optional(),
          valueDecimal: z.number().optional(),
          valueDateTime: z.string().optional(),
        }),
      )
      .optional(),
    contains: z.array(ContainsSchema).optional(),
  }),
  extension: z.array(TextExtensionSchema).optional(),
});
export type ValueSetFile = z.infer<typeof ValueSetFileSchema>;
export type ValueSetConceptSet = z.infer<typeof ConceptSetSchema>;

const WindowSchema = z.union([
  z.strictObject({ kind: z.literal('any-time') }),
  z.strictObject({ kind: z.literal('active') }),
  z.strictObject({ kind: z.literal('days'), days: z.int().positive() }),
]);
export type FindingWindow = z.infer<typeof WindowSchema>;

/** Statuses a source accepts (FHIR status codes of that resource type); a resource without a status counts. */
const statusList = z
  .array(z.string().min(1))
  .min(1)
  .meta({ description: 'The resource statuses that count, e.g. ["completed"]; a resource without a status counts.' });

/**
 * Where a finding is recorded: one resource type, the element whose codes must be in the value set,
 * and the statuses that count. Adding a source is a line here, not TypeScript.
 */
const SourceSchema = z.discriminatedUnion(
  'resource',
  [
    z.strictObject({
      resource: z.literal('Condition').meta({
        description:
          'Condition.code in the value set; dated onset, onset period start, else recordedDate; refuted and entered-in-error never count.',
      }),
      valueSet: valueSetId,
    }),
    z.strictObject({
      resource: z.literal('Observation'),
      valueSet: valueSetId,
      elements: z
        .array(z.enum(['code', 'valueCodeableConcept']))
        .min(1)
        .meta({ description: 'Which elements are matched against the value set; valueBoolean false means the finding is absent.' }),
      status: statusList,
      /** A measured value at or above the minimum (body temperature): °C and °F are both read. */
      quantity: z.strictObject({ minimum: z.number(), unit: z.literal('Cel') }).optional(),
    }),
    z.strictObject({
      resource: z.literal('Procedure').meta({ description: 'Procedure.code in the value set, dated performed[x].' }),
      valueSet: valueSetId,
      status: statusList,
    }),
    z.strictObject({
      resource: z
        .literal('DiagnosticReport')
        .meta({ description: 'DiagnosticReport.code in the value set, dated effective[x], else issued.' }),
      valueSet: valueSetId,
      status: statusList,
    }),
    z.strictObject({
      resource: z.literal('ImagingStudy').meta({
        description:
          'ImagingStudy.procedureCode in the value set, or a series of one of the modalities whose bodySite is ' +
          'in bodySite.valueSet; dated started.',
      }),
      valueSet: valueSetId,
      status: statusList,
      bodySite: z.strictObject({ modalities: z.array(z.string().min(1)).min(1), valueSet: valueSetId }).optional(),
    }),
  ],
  {
    error:
      'the service reads findings from these resource types only: use "resource": "Condition", ' +
      '"Observation", "Procedure", "DiagnosticReport" or "ImagingStudy" (medications go in "medication")',
  },
);
export type FindingSource = z.infer<typeof SourceSchema>;

const MEDICATION_RESOURCES = ['MedicationRequest', 'MedicationStatement'] as const;
export type MedicationResource = (typeof MEDICATION_RESOURCES)[number];

/** Words that show the finding in an entry with no code in a known system; "exclude" words (benign, family history) veto a match. */
const KeywordsSchema = z.strictObject({
  include: z
    .array(z.string().min(3))
    .min(1)
    .meta({ description: 'Lower-case words or word starts, matched anywhere in the text (e.g. "metasta" for metastasis, metastatic).' }),
  exclude: z
    .array(z.string().min(3))
    .optional()
    .meta({ description: 'Text containing one of these never matches (e.g. "benign", "family history").' }),
});

/** How soon a red flag needs assessing, most urgent first; each red flag names one by id. */
export const UrgencyLevelSchema = z.strictObject({
  id: slug,
  /** Words that finish "assess ...": "today (same day)", "within 24 hours". */
  label: z.string().min(1).meta({ description: 'Finishes the sentence "Assess …", e.g. "the same day" or "within a few days".' }),
});

export const FindingUrgencySchema = z.strictObject({
  level: slug.meta({ description: 'An id from urgencyLevels: how soon this red flag needs assessing.' }),
  /** What to do for this flag, in the clinician's words: a card shows it next to the flag. */
  advice: z.string().min(1),
  /** The guideline and recommendation the advice comes from, so a clinical safety officer can check it. */
  source: z.string().min(1),
});

export const FindingDefinitionSchema = z.strictObject({
  id: slug,
  label: z.string().min(1),
  window: WindowSchema,
  sources: z.array(SourceSchema).min(1),
  medication: z
    .strictObject({
      resources: z.array(z.enum(MEDICATION_RESOURCES)).min(1),
      valueSet: valueSetId,
      minimumDays: z.int().positive(),
      lookbackDays: z.int().positive(),
      defaultDays: z.int().positive(),
    })
    .optional()
    .meta({
      description:
        'Medications covering at least minimumDays of the last lookbackDays (MedicationRequest: supply duration, or ' +
        'quantity over dose and frequency, with repeats; else dosage bounds, else defaultDays; MedicationStatement: ' +
        'effectivePeriod, else defaultDays from effectiveDateTime; an active one without an end runs to today).',
    }),
  keywords: KeywordsSchema.optional(),
});
export type FindingDefinition = z.infer<typeof FindingDefinitionSchema>;

export const FindingsFileSchema = z.strictObject({
  $schema: schemaRef,
  /** Most urgent first: a card with several red flags leads with the most urgent one. */
  urgencyLevels: z.array(UrgencyLevelSchema).min(1),
  redFlags: z.array(FindingDefinitionSchema.extend({ urgency: FindingUrgencySchema })).min(1),
  caudaEquina: FindingDefinitionSchema,
  /** Lumbar imaging already done: the newest dated one is what imaging-repeat compares with. */
  priorLumbarImaging: FindingDefinitionSchema,
});
export type FindingsFile = z.infer<typeof FindingsFileSchema>;

/** json-rules-engine conditions, kept structural so the engine stays the judge of semantics. */
export type ConditionNode =
  | { all: ConditionNode[] }
  | { any: ConditionNode[] }
  | { not: ConditionNode }
  | { fact: string; operator: string; value: unknown; path?: string };

export const ConditionSchema: z.ZodType<ConditionNode> = z
  .lazy(() =>
    z.union([
      z.strictObject({ all: z.array(ConditionSchema).min(1) }),
      z.strictObject({ any: z.array(ConditionSchema).min(1) }),
      z.strictObject({ not: ConditionSchema }),
      z.strictObject({
        fact: z
          .string()
          .min(1)
          .meta({
            description:
              'A fact the service computes for the patient; `npx backpain-cds validate` lists unknown ones with the known names.',
            examples: [...ENGINE_FACT_NAMES],
          }),
        operator: z.enum([
          'equal',
          'notEqual',
          'lessThan',
          'lessThanInclusive',
          'greaterThan',
          'greaterThanInclusive',
          'in',
          'notIn',
          'contains',
          'doesNotContain',
        ]),
        value: z.union([
          z.number(),
          z.string(),
          z.boolean(),
          z.null(),
          z.array(z.union([z.number(), z.string()])),
          z
            .strictObject({ param: z.string().min(1) })
            .meta({ description: 'The value of one of the rule\'s params, e.g. {"param": "earlyDays"}: card text shows the same number.' }),
        ]),
        path: z.string().optional(),
      }),
    ]),
  )
  .meta({
    id: 'condition',
    description:
      'A json-rules-engine condition: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"fact", ' +
      '"operator", "value"}. An unknown fact value (null) makes numeric comparisons false, so the rule ' +
      'does not fire.',
  });

/**
 * Silent mode is how CDS go-lives are run: a silent rule is evaluated and its would-be cards are
 * logged (marked silent) but never returned, so firing rates can be checked on real traffic first.
 */
export const RuleModeSchema = z.enum(['live', 'silent']).meta({
  description:
    '"silent": the rule is evaluated and its would-be cards go to the card log marked silent, but ' +
    'nothing is returned to the EHR (analytics shows their firing rate). "live" (the default): cards are ' +
    'returned.',
});
export type RuleMode = z.infer<typeof RuleModeSchema>;

export const RuleSchema = z.strictObject({
  id: slug.meta({ description: 'The rule id: the card template is cards/<id>.json and cards carry it as source.topic.code.' }),
  title: z.string().min(1),
  description: z.string().min(1),
  /** Rule ids this rule silences when it fires, so a clinician never gets two cards saying different things; "*" silences all. */
  replaces: z
    .array(z.union([slug, z.literal('*')]))
    .meta({
      description: 'Rule ids this rule silences when it fires ("*" for all), so a clinician never gets two cards saying different things.',
    })
    .optional(),
  /** "order": one card per order in scope; "patient": at most one card per request. */
  scope: z
    .enum(['order', 'patient'])
    .meta({ description: '"order": one card per order in scope; "patient": at most one card per request.' }),
  mode: RuleModeSchema.optional(),
  /**
   * Thresholds the conditions use ({"param": "earlyDays"}) and the card text shows
   * ({{rule.params.earlyDays}}), so prose cannot contradict the data.
   */
  params: z
    .record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'use a camelCase name such as "earlyDays"'), z.number())
    .meta({
      description:
        'Thresholds used by the conditions as {"param": "<name>"} and shown in the title, the description ' +
        'and the card as {{rule.params.<name>}}. A name ending in "Days" reads as weeks when it divides by 7 ' +
        '(42 → "6 weeks"), else as days; {{rule.params.<name>.value}} is the bare number.',
    })
    .optional(),
  conditions: ConditionSchema,
});
export type RuleDefinition = z.infer<typeof RuleSchema>;

export const RuleFileSchema = z.strictObject({
  $schema: schemaRef,
  services: z
    .array(
      z
        .string()
        .min(1)
        .meta({ [SERVICE_ID_MARK]: true }),
    )
    .min(1)
    .meta({ description: 'The CDS service ids (GET /cds-services) this file decides for.' }),
  description: z.string().min(1),
  /** The mode of every rule in the file that does not set its own. */
  mode: RuleModeSchema.optional(),
  rules: z.array(RuleSchema).min(1),
});
export type RuleFile = z.infer<typeof RuleFileSchema>;

const templateString = z.string().min(1);

const ActionTemplateSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('delete'),
    description: templateString,
    resourceId: templateString,
    /** "order": one delete per lumbar imaging order in scope; the suggestion is left out when there is none. */
    forEach: z
      .literal('order')
      .meta({
        description:
          '"order": one delete action per lumbar imaging order in scope, with {{order.*}} filled for each; the ' +
          'suggestion is offered only when an order is in scope.',
      })
      .optional(),
  }),
  z.strictObject({
    type: z.literal('create'),
    description: templateString,
    resource: z.record(z.string(), z.unknown()),
  }),
]);

const isoDate = z.iso.date({ error: 'use a date written YYYY-MM-DD' });

/**
 * Who last checked the card's clinical content, and when: a clinical safety officer signs each card
 * off, and the preview page shows this so nobody mistakes unreviewed text for reviewed text.
 */
export const ClinicalReviewSchema = z
  .discriminatedUnion('status', [
    z.strictObject({
      status: z.literal('signed-off').meta({ description: 'A clinical safety officer has approved this text as it stands.' }),
      lastReviewed: isoDate.meta({ description: 'The date of the sign-off (YYYY-MM-DD).' }),
      reviewerRole: z.string().min(1).meta({ description: 'The reviewer\'s role, not their name, e.g. "GP, clinical safety officer".' }),
      changed: isoDate.meta({ description: 'When the clinical text last changed (YYYY-MM-DD).' }).optional(),
      reference: z.string().min(1).meta({ description: 'The review record, e.g. a section of docs/clinical-content.md.' }).optional(),
    }),
    z.strictObject({
      status: z
        .literal('awaiting-sign-off')
        .meta({ description: 'The clinical text changed after its last sign-off (or was never signed off).' }),
      changed: isoDate.meta({ description: 'When the clinical text last changed (YYYY-MM-DD).' }),
      lastReviewed: isoDate.meta({ description: 'The date of the last sign-off, of an earlier version of the text.' }).optional(),
      reviewerRole: z.string().min(1).meta({ description: 'The role of whoever signed off the earlier version.' }).optional(),
      reference: z.string().min(1).meta({ description: 'The change record, e.g. "issue 14; docs/clinical-content.md".' }).optional(),
    }),
  ])
  .meta({ description: 'The clinical review of this text: signed off (date and reviewer role), or awaiting sign-off since a change.' });
export type ClinicalReview = z.infer<typeof ClinicalReviewSchema>;

/** A detail line, or a block of lines shown only when its conditions hold, or a shared snippet. */
const DetailLineSchema = z.union([
  z.string(),
  // The description sits on the block, not on "when": a described copy of the condition would be a
  // second, unenriched definition in card.schema.json, without the facts' editor help.
  z
    .strictObject({
      when: ConditionSchema,
      lines: z.array(z.string()).min(1),
    })
    .meta({ description: 'Lines shown only when "when" holds (same form as a rule\'s conditions).' }),
  z.strictObject({
    include: slug.meta({ description: 'The id of a snippet in cards/snippets/ (e.g. "safety-net"), whose lines go here.' }),
  }),
]);
export type DetailLine = z.infer<typeof DetailLineSchema>;

export const CardTemplateSchema = z.strictObject({
  $schema: schemaRef,
  rule: slug.meta({ description: 'The id of the rule this card belongs to; the file is cards/<rule>.json.' }),
  clinicalReview: ClinicalReviewSchema,
  indicator: z.enum(['info', 'warning', 'critical']),
  summary: templateString.meta({ description: 'One sentence under 140 characters; {{placeholders}} are filled from the facts.' }),
  /** Markdown, one array element per line so the file stays readable. */
  detail: z
    .array(DetailLineSchema)
    .min(1)
    .meta({
      description:
        'GitHub-flavoured markdown, one array element per line; {{placeholders}} are filled from the facts. ' +
        '{"include": "<snippet id>"} inserts a shared snippet from cards/snippets/; {"when": {...}, "lines": ' +
        '[...]} shows lines only when the conditions hold.',
    }),
  source: z.strictObject({ label: z.string().min(1), url: webUrl.optional() }),
  links: z.array(z.strictObject({ label: z.string().min(1), url: webUrl, type: z.literal('absolute') })).optional(),
  selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
  suggestions: z
    .array(
      z.strictObject({
        label: templateString,
        isRecommended: z.boolean().optional(),
        /** Offer this suggestion only when these conditions hold (same form as a rule's conditions), e.g. no exercise referral already. */
        offerWhen: ConditionSchema.optional(),
        actions: z.array(ActionTemplateSchema).min(1),
      }),
    )
    .optional(),
  overrideReasons: z.array(z.strictObject({ code: slug, display: z.string().min(1) })).optional(),
});
export type CardTemplate = z.infer<typeof CardTemplateSchema>;

/** cards/snippets/<id>.json: lines several cards share (the safety-net advice), so they cannot drift apart. */
export const SnippetFileSchema = z.strictObject({
  $schema: schemaRef,
  id: slug.meta({ description: 'Must equal the file name without .json; cards include it as {"include": "<id>"}.' }),
  description: z.string().min(1),
  clinicalReview: ClinicalReviewSchema,
  lines: z
    .array(z.string())
    .min(1)
    .meta({ description: 'Markdown lines, inserted where a card says {"include": "<id>"}; {{placeholders}} work as in the card.' }),
});
export type SnippetFile = z.infer<typeof SnippetFileSchema>;

/** Publishers whose pages cards may link to, each with the hosts of its canonical site. */
export const LINK_PUBLISHERS = {
  NICE: ['www.nice.org.uk', 'cks.nice.org.uk'],
  NHS: ['www.nhs.uk', 'www.nhsinform.scot'],
  ACR: ['www.acr.org', 'acsearch.acr.org'],
  MedlinePlus: ['medlineplus.gov'],
  'Versus Arthritis': ['www.versusarthritis.org'],
  'Keele STarT Back': ['www.keele.ac.uk'],
} as const satisfies Record<string, readonly string[]>;
export type LinkPublisher = keyof typeof LINK_PUBLISHERS;

/** cards/links.json: every address a card links to, who publishes it and when it was last checked. */
export const LinksFileSchema = z.strictObject({
  $schema: schemaRef,
  description: z.string().min(1),
  links: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https$/, error: 'use an absolute https:// address' }),
        publisher: z.enum(Object.keys(LINK_PUBLISHERS) as [LinkPublisher, ...LinkPublisher[]]),
        title: z.string().min(1),
        lastChecked: isoDate.nullable().meta({
          description:
            'When `backpain-cds links --record` last found the page answering (YYYY-MM-DD); null = never checked where there was network.',
        }),
      }),
    )
    .min(1),
});
export type LinksFile = z.infer<typeof LinksFileSchema>;

const findingCode = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lower-case words joined by hyphens');

const StartBackItemSchema = z.discriminatedUnion('type', [
  z.strictObject({ linkId: z.string().min(1), text: z.string().min(1), type: z.literal('boolean'), psychosocial: z.boolean() }),
  z.strictObject({
    linkId: z.string().min(1),
    text: z.string().min(1),
    type: z.literal('choice'),
    psychosocial: z.boolean(),
    /** Answer codes in urn:backpain-cds:finding and the score each adds. */
    answers: z.array(z.strictObject({ code: findingCode, display: z.string().min(1), score: z.int().min(0) })).min(2),
  }),
]);

const ScopicItemSchema = z.discriminatedUnion('type', [
  z.strictObject({
    code: findingCode,
    display: z.string().min(1),
    question: z.string().min(1),
    type: z.literal('integer'),
    minValue: z.int(),
    maxValue: z.int(),
    /** Positive when the value is above this. */
    positiveAbove: z.int(),
  }),
  z.strictObject({ code: findingCode, display: z.string().min(1), question: z.string().min(1), type: z.literal('boolean') }),
]);

/**
 * rules/instruments.json: the STarT Back and SCOPiC instruments (items, answer codes, scoring and
 * cut-offs). The scoring code and the published Questionnaires and CodeSystem are both made from it.
 */
export const InstrumentsFileSchema = z.strictObject({
  $schema: z.string().optional(),
  findingSystem: z.strictObject({ url: z.string().min(1), id: slug, title: z.string().min(1), description: z.string().min(1) }),
  /**
   * When the episode has no start date, STarT Back and SCOPiC results and referrals dated in this
   * many last days count as this episode's.
   */
  undatedEpisodeLookbackDays: z
    .int()
    .positive()
    .meta({
      description:
        'When the episode has no start date, STarT Back and SCOPiC items and referrals dated in this many ' +
        "last days count as this episode's (design.md: Unknown episode start).",
    }),
  startBack: z.strictObject({
    questionnaire: z.strictObject({ url: z.string().min(1), id: slug, title: z.string().min(1), description: z.string().min(1) }),
    /** Value set of the total score Observation codes (LOINC 91351-7). */
    totalValueSet: valueSetId,
    psychosocialCode: z.strictObject({ code: findingCode, display: z.string().min(1) }),
    items: z.array(StartBackItemSchema).min(1),
    risk: z.strictObject({
      /** Low risk: total at most this. */
      lowMaxTotal: z.int().min(0),
      /** High risk: psychosocial subscore at least this; otherwise medium. */
      highMinPsychosocial: z.int().min(0),
    }),
  }),
  scopic: z.strictObject({
    questionnaire: z.strictObject({ url: z.string().min(1), id: slug, title: z.string().min(1), description: z.string().min(1) }),
    items: z.array(ScopicItemSchema).min(1),
    /** Per STarT Back risk group (medium, high): how many positive items make group 3, how many negative make group 2. */
    groups: z.strictObject({
      medium: z.strictObject({ group3MinPositive: z.int().min(1), group2MinNegative: z.int().min(1) }),
      high: z.strictObject({ group3MinPositive: z.int().min(1), group2MinNegative: z.int().min(1) }),
    }),
    /** Physiotherapy sessions offered to groups 1 and 2. */
    physioSessions: z.strictObject({ group1: z.int().min(1), group2: z.int().min(1) }),
  }),
});
export type InstrumentsFile = z.infer<typeof InstrumentsFileSchema>;
export type StartBackDefinition = InstrumentsFile['startBack'];
export type ScopicDefinition = InstrumentsFile['scopic'];
