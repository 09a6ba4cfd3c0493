/** The service over a private, watched copy of the knowledge files, as `npm start` runs it. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { KnowledgeStatus } from '../../src/knowledge/watch.js';
import { watchKnowledge, type LiveKnowledge } from '../../src/knowledge/watch.js';
import { createLogger } from '../../src/log.js';
import type { KnowledgeCopy } from './knowledge-copy.js';

export interface LiveService {
  url: string;
  live: LiveKnowledge;
  logs: string[];
  status: () => Promise<KnowledgeStatus>;
  /** Polls GET /status until the condition holds (the limit only stops a broken build hanging). */
  until: (done: (s: KnowledgeStatus) => boolean, limitMs?: number) => Promise<{ status: KnowledgeStatus }>;
  close(): Promise<void>;
}

export async function startLiveService(copy: KnowledgeCopy, env: Record<string, string> = {}, now?: () => Date): Promise<LiveService> {
  const logs: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }));
  const live = watchKnowledge({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir }, logger);
  const app = createApp({
    config: loadConfig({ MAX_EVENT_LOOP_LAG_MS: '0', ...env }),
    knowledge: () => live.current(),
    knowledgeStatus: () => live.status(),
    logger,
    ...(now ? { now } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const status = async (): Promise<KnowledgeStatus> => ((await (await fetch(`${url}/status`)).json()) as { rules: KnowledgeStatus }).rules;
  return {
    url,
    live,
    logs,
    status,
    until: async (done, limitMs = 15_000) => {
      const started = Date.now();
      for (;;) {
        const s = await status();
        if (done(s)) return { status: s };
        if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms; status: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        live.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
