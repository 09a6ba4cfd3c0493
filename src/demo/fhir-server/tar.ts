/**
 * The regular files of a tar stream (tar-stream reads ustar, pax and GNU long names), each held in
 * memory on its own, enough for the Synthea sample archive.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';

export interface TarFile {
  name: string;
  data: Buffer;
}

export async function* readTarFiles(source: AsyncIterable<Buffer>): AsyncGenerator<TarFile> {
  const input = Readable.from(source);
  const tar = extract();
  // The pipeline reads the source to its end, so a decompressor's end-of-stream integrity check
  // still reports a corrupt archive; a failing source fails the iteration below.
  const piped = pipeline(input, tar);
  // Awaited below; this keeps a failure while the consumer holds an entry from counting as unhandled.
  piped.catch(() => undefined);
  let completed = false;
  try {
    for await (const entry of tar) {
      const data = await buffer(entry);
      if (entry.header.type === 'file') yield { name: entry.header.name, data };
    }
    completed = true;
  } finally {
    if (!completed) {
      // Destroying the parser stops the source too (e.g. kills xz). The pipeline settles before the
      // source has closed: wait for that, so no producer outlives this generator.
      tar.destroy();
      await piped.catch(() => undefined);
      if (!input.closed) await new Promise((resolve) => input.once('close', resolve));
    }
  }
  await piped;
}
