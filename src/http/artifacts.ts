/**
 * GET /fhir-artifacts: the Questionnaires, CodeSystem and ValueSets the service publishes, as a FHIR
 * collection Bundle (filter with ?type= and ?url=), and GET /fhir-artifacts/{type}/{id} for one.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Bundle } from 'fhir/r4.js';
import { fhirArtifacts, type Artifact } from '../knowledge/fhir-artifacts.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { HttpError } from './operation-outcome.js';

function sendFhir(res: Response, body: unknown): void {
  res.type('application/fhir+json').send(JSON.stringify(body));
}

export function artifactsRouter(knowledge: () => KnowledgeBase): express.Router {
  // Made once per rule set version: the files change only on reload.
  const cache = new WeakMap<KnowledgeBase, Artifact[]>();
  const artifacts = (): Artifact[] => {
    const k = knowledge();
    let list = cache.get(k);
    if (!list) {
      list = fhirArtifacts(k);
      cache.set(k, list);
    }
    return list;
  };

  const router = express.Router();
  router.get('/', (req: Request, res: Response) => {
    const type = typeof req.query.type === 'string' ? req.query.type : undefined;
    const url = typeof req.query.url === 'string' ? req.query.url : undefined;
    const base = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
    const chosen = artifacts().filter((a) => (!type || a.resourceType === type) && (!url || a.url === url));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      ...(chosen.length
        ? { entry: chosen.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id ?? ''}`, resource })) }
        : {}),
    };
    sendFhir(res, bundle);
  });
  router.get('/:type/:id', (req: Request, res: Response, next: NextFunction) => {
    const found = artifacts().find((a) => a.resourceType === req.params.type && a.id === req.params.id);
    if (!found) {
      next(
        new HttpError(404, [
          {
            code: 'not-found',
            diagnostics: `no published ${String(req.params.type)} "${String(req.params.id)}"; GET /fhir-artifacts lists them`,
          },
        ]),
      );
      return;
    }
    sendFhir(res, found);
  });
  return router;
}
