import { cardText } from '../../cards/text.js';
import type { CliIo } from '../io.js';
import { callsFor, runCall, type CallOptions } from '../inputs.js';
import { loadForCli, type KnowledgeOptions } from '../knowledge.js';

export interface CardsOptions extends KnowledgeOptions, CallOptions {
  json?: boolean;
}

export async function cardsCommand(file: string, options: CardsOptions, io: CliIo): Promise<number> {
  const knowledge = loadForCli(options);
  const results = [];
  for (const call of callsFor(file, knowledge, options)) {
    const answer = await runCall(knowledge, call, false);
    results.push({ service: call.service, cards: answer.cards });
  }
  if (options.json) {
    // Exactly what the EHR would receive from each service.
    io.out(JSON.stringify({ results: results.map((r) => ({ service: r.service.id, response: { cards: r.cards } })) }, null, 2));
    return 0;
  }
  const blocks = results.map((r) => {
    const count = r.cards.length ? `${r.cards.length} card${r.cards.length > 1 ? 's' : ''}` : 'no cards';
    const head = `${r.service.id} (${r.service.hook}): ${count}`;
    return [`${head}\n${'='.repeat(head.length)}`, ...r.cards.map(cardText)].join('\n\n');
  });
  io.out(blocks.join('\n\n\n'));
  return 0;
}
