import { traceText } from '../../explain/text.js';
import type { CliIo } from '../io.js';
import { callsFor, runCall, type CallOptions } from '../inputs.js';
import { loadForCli, type KnowledgeOptions } from '../knowledge.js';

export interface ExplainOptions extends KnowledgeOptions, CallOptions {
  json?: boolean;
}

export async function explainCommand(file: string, options: ExplainOptions, io: CliIo): Promise<number> {
  const knowledge = loadForCli(options);
  const traces = [];
  for (const call of callsFor(file, knowledge, options)) {
    const answer = await runCall(knowledge, call, true);
    if (answer.trace) traces.push(answer.trace);
  }
  if (options.json) io.out(JSON.stringify({ traces }, null, 2));
  else io.out(traces.map(traceText).join(`\n\n${'='.repeat(78)}\n\n`));
  return 0;
}
