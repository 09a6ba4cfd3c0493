/** Debian's Chromium, driven by playwright-core, as every browser test starts it. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { MOVED_CLOCK_VARIABLES } from '../../scripts/child-env.js';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** libfaketime (npm test's TEST_CLOCK_OFFSET) hangs Chromium's zygote; the pages read no clock of their own. */
const MOVED_CLOCK = new Set(MOVED_CLOCK_VARIABLES);

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium (npm test does this)`);
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !MOVED_CLOCK.has(e[0])),
  );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, env });
}
