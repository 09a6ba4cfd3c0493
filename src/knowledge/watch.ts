/**
 * Hot reload: watches the rule, value set and card folders and swaps in a new immutable knowledge
 * base when the files change. A request keeps the knowledge base it started with, so a swap never
 * fails one in flight. A change that does not load is rejected and logged; the last good set stays.
 */
import { watch, readdirSync, realpathSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import { loadKnowledge, type KnowledgeBase, type KnowledgeDirs } from './load.js';
import { formatProblem, KnowledgeError, type Problem } from './problems.js';

export interface KnowledgeStatus {
  version: string;
  loadedAt: string;
  watching: boolean;
  lastReload?: { at: string; outcome: 'loaded' | 'unchanged' | 'rejected' };
  /** The most recent rejected change, kept after a later good one so the reason can still be read. */
  lastError?: { at: string; problems: Problem[] };
}

/** What an informatician must see after a save the service refused: which file, why, when, and what stays live. */
export interface RejectedEdit {
  at: string;
  files: string[];
  problems: Problem[];
  /** One sentence for a banner. */
  message: string;
  liveVersion: string;
}

/**
 * The refused edit that is still in the files now (the newest reload was rejected), else undefined:
 * once a later save loads, the banner goes, and only lastError remembers it.
 */
export function rejectedEdit(status: KnowledgeStatus): RejectedEdit | undefined {
  if (status.lastReload?.outcome !== 'rejected' || !status.lastError) return undefined;
  const { at, problems } = status.lastError;
  const files = [...new Set(problems.map((p) => p.file))];
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return {
    at,
    files,
    problems,
    message:
      `Your last edit of ${files.join(', ')} was rejected at ${at}: ` +
      `${first ? formatProblem(first) : 'it did not load'}${more}. The previous rules (version ` +
      `${status.version}) are still live; fix the file and save again.`,
    liveVersion: status.version,
  };
}

export interface LiveKnowledge {
  current(): KnowledgeBase;
  status(): KnowledgeStatus;
  /** Loads the files now (the watcher calls this after changes settle). */
  reload(): KnowledgeStatus['lastReload'];
  close(): void;
}

/** Editors save in bursts (write, rename, chmod): wait for quiet before reading. */
const DEBOUNCE_MS = 150;

function foldersUnder(dir: string): string[] {
  try {
    return [
      dir,
      ...readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => foldersUnder(join(dir, e.name))),
    ];
  } catch {
    return [];
  }
}

function problemsOf(err: unknown): Problem[] {
  if (err instanceof KnowledgeError) return err.problems;
  return [{ file: '(knowledge)', path: '', message: err instanceof Error ? err.message : String(err) }];
}

/** Loads the knowledge base (throws KnowledgeError when the files are wrong) and keeps it current. */
export function watchKnowledge(dirs: KnowledgeDirs, logger: Logger): LiveKnowledge {
  let live = loadKnowledge(dirs);
  let lastReload: KnowledgeStatus['lastReload'];
  let lastError: KnowledgeStatus['lastError'];
  /** By folder path; `real` is where the path led when the watch began. */
  const watchers = new Map<string, { watcher: FSWatcher; real: string }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function reload(): KnowledgeStatus['lastReload'] {
    const at = new Date().toISOString();
    try {
      const next = loadKnowledge(dirs);
      if (next.version === live.version) {
        lastReload = { at, outcome: 'unchanged' };
      } else {
        logger.info('knowledge reloaded', { version: next.version, previous: live.version });
        live = next;
        lastReload = { at, outcome: 'loaded' };
      }
    } catch (err) {
      const problems = problemsOf(err);
      lastError = { at, problems };
      lastReload = { at, outcome: 'rejected' };
      metrics.reloadErrors.inc();
      logger.warn('knowledge reload rejected; the last good rule set stays live', {
        version: live.version,
        problems: problems.map(formatProblem),
      });
    }
    syncWatchers();
    return lastReload;
  }

  function changed(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(reload, DEBOUNCE_MS);
  }

  // One non-recursive watcher per folder: recursive fs.watch on Linux is new in Node 20 and misses folders made later.
  // A watch follows the folder it found, not the path: when the path now leads elsewhere (a symlink
  // swapped, as Kubernetes does when a mounted ConfigMap changes), the folder is watched again.
  function syncWatchers(): void {
    if (closed) return;
    const wanted = new Map<string, string>();
    for (const dir of [...foldersUnder(dirs.rulesDir), ...foldersUnder(dirs.cardsDir)]) {
      try {
        wanted.set(dir, realpathSync(dir));
      } catch {
        // Gone between listing and resolving: the next change lists the folders again.
      }
    }
    for (const [dir, w] of watchers) {
      if (wanted.get(dir) !== w.real) {
        w.watcher.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, real] of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, changed);
        w.on('error', () => {
          w.close();
          if (watchers.get(dir)?.watcher === w) watchers.delete(dir);
          changed();
        });
        watchers.set(dir, { watcher: w, real });
      } catch (err) {
        logger.warn('cannot watch a knowledge folder; changes there need a restart', { dir, message: (err as Error).message });
      }
    }
  }

  syncWatchers();
  return {
    current: () => live,
    status: () => ({
      version: live.version,
      loadedAt: live.loadedAt,
      watching: watchers.size > 0,
      ...(lastReload ? { lastReload } : {}),
      ...(lastError ? { lastError } : {}),
    }),
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.watcher.close();
      watchers.clear();
    },
  };
}
