/**
 * The informatician guide's sample outputs are what the CLI prints today: each block after
 * `<!-- output of: <args> -->` (or `<!-- last line of: <args> -->`) is compared with a real run.
 * Rules versions are masked, since every edit of the files changes them. After a deliberate change,
 * `UPDATE_GUIDE=1` with this test rewrites the blocks from the CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { projectRoot } from '../../src/paths.js';
import { captureIo } from '../support/cli.js';

const guidePath = join(projectRoot, 'docs/informatician-guide.md');
const MARKED = /<!-- (output of|last line of): ([^>]+?) -->\n```\n([\s\S]*?)\n```/g;
const mask = (text: string): string => text.replace(/\b[0-9a-f]{16}\b/g, '<rules version>');

async function cliOutput(args: string): Promise<string> {
  const io = captureIo();
  await runCli(args.split(' '), io);
  return io.stdout().trimEnd();
}

test('every marked sample output in docs/informatician-guide.md is what the CLI prints', async () => {
  let guide = readFileSync(guidePath, 'utf8');
  const blocks = [...guide.matchAll(MARKED)];
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  for (const [whole, kind, args = '', shown = ''] of blocks) {
    const out = await cliOutput(args);
    const actual = kind === 'last line of' ? (out.split('\n').at(-1) ?? '') : out;
    if (process.env.UPDATE_GUIDE) {
      guide = guide.replace(whole, whole.replace(shown, actual));
      continue;
    }
    expect({ args, sample: mask(shown) }).toEqual({ args, sample: mask(actual) });
  }
  if (process.env.UPDATE_GUIDE) writeFileSync(guidePath, guide);
});
