/** Runs the CLI in process and keeps what it printed. */
import type { CliIo } from '../../src/cli/io.js';

export interface CapturedIo extends CliIo {
  stdout(): string;
  stderr(): string;
}

export function captureIo(): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void err.push(t.endsWith('\n') ? t : `${t}\n`),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
