import type { Request, Response } from 'express';
import type { KnowledgeBase } from '../knowledge/load.js';
import { rejectedEdit, type KnowledgeStatus } from '../knowledge/watch.js';

/**
 * GET /status: the live rule set's version, when it was loaded, and the last reload and its error.
 * While the files hold an edit the service refused, the top says so ("edit-rejected", with the file,
 * the error and the time), so "ok" never hides a save that did not take. No patient data.
 */
export function statusHandler(knowledge: () => KnowledgeBase, status?: () => KnowledgeStatus) {
  return (_req: Request, res: Response): void => {
    const kb = knowledge();
    const rules: KnowledgeStatus = status?.() ?? { version: kb.version, loadedAt: kb.loadedAt, watching: false };
    const rejected = rejectedEdit(rules);
    res.json({
      status: rejected ? 'edit-rejected' : 'ok',
      ...(rejected ? { rejectedEdit: rejected } : {}),
      rules,
      services: kb.ruleSets.flatMap((s) => s.services),
    });
  };
}
