/** Where the CLI writes, so tests can run it in process and read what it printed. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** A failure the CLI reports in one line and exits non-zero for (no stack trace: the user did nothing wrong in code). */
export class CliError extends Error {}
