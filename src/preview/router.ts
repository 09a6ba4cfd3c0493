/**
 * The card preview page (demo mode only): pick a scenario patient and a hook, see the cards as an
 * EHR draws them with the explain trace beside them. Each page load runs the live knowledge base,
 * so an edited card file shows after a reload. Markdown is rendered in the browser by marked and
 * sanitised by DOMPurify, both served from node_modules (no CDN); a strict CSP backs them up.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { HookName, ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { rejectedEdit, type KnowledgeStatus } from '../knowledge/watch.js';
import { contentSecurityPolicy } from '../http/security-headers.js';
import { projectRoot } from '../paths.js';
import { scenariosDir } from '../demo/scenarios/load.js';
import { readScenarioFiles, runScenario, sameRules } from '../demo/scenarios/run.js';

export interface PreviewDeps {
  knowledge: () => KnowledgeBase;
  /** The services discovery offers now. */
  services: () => readonly ServiceDefinition[];
  scenariosDir?: string;
  /** Hot reload state, so the page can show an edit the service refused. */
  knowledgeStatus?: () => KnowledgeStatus;
}

/**
 * A query parameter as text, as String() would write it. Express 5's default ("simple") query parser
 * gives a string or, for a repeated parameter, an array of strings; never the nested objects its type allows.
 */
function queryText(value: Request['query'][string], absent: string): string {
  const v = value as string | string[] | undefined;
  return v === undefined ? absent : Array.isArray(v) ? v.join(',') : v;
}

const require = createRequire(import.meta.url);
const publicDir = join(projectRoot, 'src/preview/public');
const VENDOR: Record<string, string> = {
  // marked's package entry is its ES module; DOMPurify's (for require) is CommonJS, with the ES module beside it.
  'marked.js': require.resolve('marked'),
  'purify.js': join(dirname(require.resolve('dompurify')), 'purify.es.mjs'),
};

/**
 * No inline script or style, no other origin: even markup that slipped past DOMPurify could not run.
 * The app's helmet headers (src/http/security-headers.ts) hold the rest (nosniff, no-referrer).
 */
const pageCsp = contentSecurityPolicy({
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
});

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store');
  next();
}

export function previewRouter(deps: PreviewDeps): Router {
  const dir = deps.scenariosDir ?? scenariosDir;
  const router = express.Router();
  router.use(pageCsp, noStore);

  router.get('/vendor/:name', (req, res, next) => {
    const file = VENDOR[String(req.params.name)];
    if (!file) return next();
    res.type('text/javascript').sendFile(file);
  });

  const rejected = () => {
    const r = deps.knowledgeStatus ? rejectedEdit(deps.knowledgeStatus()) : undefined;
    return r ? { rejectedEdit: r } : {};
  };

  router.get('/api/scenarios', (_req, res) => {
    const files = readScenarioFiles(dir);
    const hooks = [...new Set(deps.services().map((s) => s.hook))];
    res.json({
      rulesVersion: deps.knowledge().version,
      ...rejected(),
      hooks,
      scenarios: files.flatMap((f) =>
        f.scenario ? [{ id: f.scenario.id, description: f.scenario.description, hooks: hooksOf(f.scenario.expect, deps.services()) }] : [],
      ),
      ...(files.some((f) => f.error) ? { errors: files.flatMap((f) => (f.error ? [f.error] : [])) } : {}),
    });
  });

  router.get('/api/run', async (req, res) => {
    const scenario = readScenarioFiles(dir).find((f) => f.scenario?.id === req.query.scenario)?.scenario;
    const hook = queryText(req.query.hook, '');
    const services = deps.services().filter((s) => s.hook === hook);
    if (!scenario || services.length === 0) {
      res.status(404).json({
        error: !scenario ? `no scenario "${queryText(req.query.scenario, 'undefined')}"` : `no service answers the hook "${hook}"`,
      });
      return;
    }
    // One knowledge base for the whole page, as for one request, even if a reload lands meanwhile.
    const knowledge = deps.knowledge();
    const results = [];
    for (const service of services) {
      const expected = scenario.expect[service.id];
      try {
        const answer = await runScenario(knowledge, scenario, service, true);
        results.push({
          service: { id: service.id, title: service.title },
          ...(expected ? { expected, pass: sameRules(expected, answer.firedRules) } : {}),
          cards: answer.cards,
          // Would-be cards of rules in silent mode: shown apart, so nobody mistakes them for live ones.
          ...(answer.silentCards?.length ? { silentCards: answer.silentCards } : {}),
          trace: answer.trace,
        });
      } catch (err) {
        results.push({
          service: { id: service.id, title: service.title },
          ...(expected ? { expected, pass: false } : {}),
          error: (err as Error).message,
        });
      }
    }
    // Each card's clinical review (cards/<rule>.json "clinicalReview"), so nobody mistakes unreviewed text for signed-off text.
    const shown = new Set(results.flatMap((r) => ('cards' in r ? r.cards.map((c) => c.source.topic?.code ?? '') : [])));
    const reviews = Object.fromEntries(
      [...knowledge.cards].filter(([rule]) => shown.has(rule)).map(([rule, card]) => [rule, card.clinicalReview]),
    );
    res.json({
      rulesVersion: knowledge.version,
      ...rejected(),
      scenario: { id: scenario.id, description: scenario.description, now: scenario.now, patient: scenario.patient },
      hook,
      results,
      reviews,
    });
  });

  router.use(express.static(publicDir, { index: 'index.html' }));
  return router;
}

function hooksOf(expect: Record<string, string[]>, services: readonly ServiceDefinition[]): HookName[] {
  return [...new Set(services.filter((s) => expect[s.id] !== undefined).map((s) => s.hook))];
}
