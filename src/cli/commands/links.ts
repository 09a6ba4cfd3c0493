/**
 * `backpain-cds links`: does every page in cards/links.json still answer? Run it by hand where
 * there is network; with none it says the check was skipped (exit 0), and it never reports a link
 * broken just because the machine is offline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLinks, networkFor, recordChecked } from '../../knowledge/link-check.js';
import { LINKS_FILE } from '../../knowledge/load.js';
import { CliError, type CliIo } from '../io.js';
import { knowledgeDirs, loadForCli, type KnowledgeOptions } from '../knowledge.js';
import { table } from '../table.js';

export interface LinksOptions extends KnowledgeOptions {
  timeout?: string;
  probe?: string[];
  record?: boolean;
  json?: boolean;
}

export async function linksCommand(
  options: LinksOptions,
  io: CliIo,
  today: () => string = () => new Date().toISOString().slice(0, 10),
): Promise<number> {
  const kb = loadForCli(options);
  const timeoutMs = Number(options.timeout ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new CliError('--timeout must be a whole number of milliseconds, 100 or more');
  const entries = kb.links.links;
  const never = entries.filter((l) => l.lastChecked === null).length;
  const hosts = options.probe?.length ? options.probe : entries.map((l) => new URL(l.url).hostname);
  const network = await networkFor(hosts, Math.min(timeoutMs, 5_000));
  if (!network.available) {
    const message =
      `Link check skipped: no network (${network.reason}). ` +
      `${entries.length} links are listed in cards/${LINKS_FILE}${never ? `, ${never} never checked` : ''}; ` +
      'run `backpain-cds links` where there is network.';
    io.out(options.json ? JSON.stringify({ skipped: true, reason: network.reason, links: entries.length }, null, 2) : message);
    return 0;
  }
  const results = await checkLinks(
    entries.map((l) => l.url),
    { timeoutMs },
  );
  const broken = results.filter((r) => r.outcome === 'broken');
  const moved = results.filter((r) => r.outcome === 'moved');
  if (options.record) {
    const ok = new Set(results.filter((r) => r.outcome === 'ok').map((r) => r.url));
    writeFileSync(join(knowledgeDirs(options).cardsDir, LINKS_FILE), recordChecked(kb.links, ok, today()));
  }
  if (options.json) {
    io.out(JSON.stringify({ skipped: false, ok: broken.length === 0, results }, null, 2));
    return broken.length ? 1 : 0;
  }
  const publisher = new Map(entries.map((l) => [l.url, l.publisher]));
  io.out(
    table(
      ['outcome', 'status', 'publisher', 'address', 'note'],
      results.map((r) => [
        r.outcome,
        r.status?.toString() ?? '-',
        publisher.get(r.url) ?? '',
        r.url,
        r.outcome === 'ok' ? r.method : r.message,
      ]),
    ),
  );
  io.out(
    `${broken.length ? '✘' : '✔'} ${results.length} links: ` +
      `${results.length - broken.length - moved.length} answered, ${moved.length} moved, ${broken.length} broken.` +
      (options.record ? ` lastChecked set to ${today()} for the ones that answered.` : ''),
  );
  return broken.length ? 1 : 0;
}
