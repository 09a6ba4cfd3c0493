import type { Request, Response } from 'express';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { KnowledgeStatus } from '../knowledge/watch.js';

/** GET /status: the live rule set's version, when it was loaded, and the last reload and its error. No patient data. */
export function statusHandler(knowledge: () => KnowledgeBase, status?: () => KnowledgeStatus) {
  return (_req: Request, res: Response): void => {
    const kb = knowledge();
    const rules: KnowledgeStatus = status?.() ?? { version: kb.version, loadedAt: kb.loadedAt, watching: false };
    res.json({ status: 'ok', rules, services: kb.ruleSets.flatMap((s) => s.services) });
  };
}
