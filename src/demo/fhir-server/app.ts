import { badRequest, getResourceTypes, getStatus, OperationOutcomeError, serverError } from '@medplum/core';
import { FhirRouter, type MemoryRepository, type HttpMethod } from '@medplum/fhir-router';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Bundle, CapabilityStatement } from 'fhir/r4.js';
import { ensureFhirDefinitions } from './definitions.js';
import { PatientReferenceRepository } from './patient-references.js';
import { decorateSearchBundle, type SearchContext } from './search-bundle.js';

type Outcome = Parameters<typeof getStatus>[0];

export interface FhirApp {
  app: express.Express;
  repo: MemoryRepository;
  router: FhirRouter;
}

const ROUTER_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * getStatus() knows Medplum's well-known outcome ids only; ad hoc outcomes fall through to 400
 * even when their issue code says otherwise.
 */
const STATUS_BY_ISSUE_CODE: Readonly<Record<string, number>> = {
  'not-found': 404,
  deleted: 410,
  conflict: 409,
  forbidden: 403,
  'business-rule': 422,
};

/** An Express app serving FHIR R4 at `/fhir` from an in-memory Medplum repository. */
export function createFhirApp(): FhirApp {
  ensureFhirDefinitions();
  const repo: MemoryRepository = new PatientReferenceRepository();
  const router = new FhirRouter();
  const startedAt = new Date().toISOString();

  const fhir = express.Router();
  fhir.use(
    express.json({ type: ['application/json', 'application/fhir+json', 'application/json-patch+json'], limit: '50mb' }),
    // POST `_search` reads its parameters from the form body; without this parser the router sees
    // no filters and returns every resource of the type.
    express.urlencoded({ extended: false, limit: '50mb' }),
  );
  // The router treats `metadata` as a resource type and would answer with an empty searchset.
  fhir.get('/metadata', (req, res) => {
    sendFhir(res, 200, capabilityStatement(baseUrl(req), startedAt));
  });
  fhir.use(async (req, res) => {
    // HEAD is not routed by FhirRouter; Express drops the body of a GET answer for HEAD itself.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (!ROUTER_METHODS.has(method)) {
      sendFhir(res, 405, issueOutcome('not-supported', `Method ${method} is not supported`));
      return;
    }
    const [outcome, resource] = await router.handleRequest(
      {
        method: method as HttpMethod,
        url: req.url,
        // Must be empty: the router derives it from `url` and throws when it is preset.
        pathname: '',
        params: {},
        query: {},
        // The JSON parser's result (express types it any); the router reads it as the FHIR resource or Bundle.
        body: req.body as unknown,
        headers: req.headers,
        config: { transactions: true },
      },
      repo,
    );
    const status = statusFor(outcome);
    if (!resource) {
      sendFhir(res, status, outcome);
      return;
    }
    const body: unknown = isSearchset(resource) ? decorateSearchBundle(resource, searchContext(req)) : resource;
    if (status === 201 && resource.id) {
      const version = resource.meta?.versionId ? `/_history/${resource.meta.versionId}` : '';
      res.location(`${baseUrl(req)}/${resource.resourceType}/${resource.id}${version}`);
    }
    if (resource.resourceType !== 'Bundle' && resource.meta?.versionId) {
      res.set('ETag', `W/"${resource.meta.versionId}"`);
    }
    sendFhir(res, status, body);
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(cors());
  app.use('/fhir', fhir);
  app.use((req, res) => {
    sendFhir(res, 404, issueOutcome('not-found', `No FHIR endpoint at ${req.path}; the base is /fhir`));
  });
  app.use(errorHandler);
  return { app, repo, router };
}

function statusFor(outcome: Outcome): number {
  const status = getStatus(outcome);
  if (status !== 400) {
    return status;
  }
  const code = outcome.issue?.[0]?.code;
  return (code && STATUS_BY_ISSUE_CODE[code]) || status;
}

/** Express calls this for body-parser failures and anything a handler throws; never answer with HTML. */
function errorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const clientStatus = httpClientErrorStatus(err);
  if (clientStatus !== undefined) {
    const message = err instanceof Error ? err.message : 'Bad request';
    sendFhir(res, clientStatus, clientStatus === 413 ? issueOutcome('too-costly', message) : badRequest(message));
  } else if (err instanceof OperationOutcomeError) {
    sendFhir(res, statusFor(err.outcome), err.outcome);
  } else {
    sendFhir(res, 500, serverError(err instanceof Error ? err : new Error(String(err))));
  }
}

/** body-parser errors (malformed JSON, payload too large) carry a 4xx `status`. */
function httpClientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) {
    return undefined;
  }
  const status = err.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function sendFhir(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/fhir+json').send(JSON.stringify(body));
}

function issueOutcome(code: string, diagnostics: string): Outcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] } as Outcome;
}

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
}

function isSearchset(value: unknown): value is Bundle {
  return (
    typeof value === 'object' &&
    value !== null &&
    'resourceType' in value &&
    value.resourceType === 'Bundle' &&
    'type' in value &&
    value.type === 'searchset'
  );
}

function searchContext(req: Request): SearchContext {
  const isPostSearch = req.method === 'POST' && /\/_search\/?$/.test(req.path);
  const path = req.path.replace(/\/_search\/?$/, '').replace(/\/$/, '');
  return { base: baseUrl(req), path, params: isPostSearch ? formParams(req.body) : queryParams(req.url) };
}

function queryParams(url: string): URLSearchParams {
  const start = url.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : url.slice(start + 1));
}

/** Mirrors what the router reads for POST `_search`: the parsed form body only. */
function formParams(body: unknown): URLSearchParams {
  const params = new URLSearchParams();
  if (typeof body !== 'object' || body === null) {
    return params;
  }
  for (const [name, value] of Object.entries(body)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') {
        params.append(name, item);
      }
    }
  }
  return params;
}

function capabilityStatement(base: string, date: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    software: { name: 'Medplum fhir-router MemoryRepository (demo/test server)' },
    implementation: { description: 'In-memory FHIR R4 server for demos and tests', url: base },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'batch' }, { code: 'transaction' }, { code: 'search-system' }],
        resource: getResourceTypes()
          .sort()
          .map((type) => ({
            type,
            interaction: (['read', 'vread', 'update', 'patch', 'delete', 'create', 'search-type'] as const).map((code) => ({ code })),
          })),
      },
    ],
  };
}
