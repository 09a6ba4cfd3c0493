/** The knowledge folders the CLI reads: --rules/--cards, else RULES_DIR/CARDS_DIR, else the project's own. */
import { resolve } from 'node:path';
import { loadKnowledge, type KnowledgeBase, type KnowledgeDirs } from '../knowledge/load.js';
import { formatProblem, KnowledgeError } from '../knowledge/problems.js';
import { cardsDir, rulesDir } from '../paths.js';
import { CliError } from './io.js';

export interface KnowledgeOptions {
  rules?: string;
  cards?: string;
}

export function knowledgeDirs(options: KnowledgeOptions): KnowledgeDirs {
  return {
    rulesDir: resolve(options.rules ?? process.env.RULES_DIR ?? rulesDir),
    cardsDir: resolve(options.cards ?? process.env.CARDS_DIR ?? cardsDir),
  };
}

export function loadForCli(options: KnowledgeOptions): KnowledgeBase {
  try {
    return loadKnowledge(knowledgeDirs(options));
  } catch (err) {
    if (err instanceof KnowledgeError) {
      throw new CliError(
        'The rule, value set and card files do not load (run `backpain-cds validate` for details):\n' +
          err.problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
      );
    }
    throw err;
  }
}
