import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { readTarFiles } from './tar.js';

export interface SyntheaArchiveOptions {
  /** Stop after this many patient bundles. */
  limit?: number;
  /** Select files by base name, e.g. `Ali_Harris_<uuid>.json`. */
  filter?: (fileName: string) => boolean;
}

/**
 * Streams the patient bundles of a Synthea `.tar.xz` archive (see shared/data/README.md) one
 * file at a time, without unpacking to disk. A single `xz -dc` pass is parsed as tar here:
 * `tar -xJOf archive <name>` per file would decompress the whole archive again for every file
 * (~0.4 s each, about a minute for 160 patients).
 */
export async function* readSyntheaArchive(archivePath: string, options: SyntheaArchiveOptions = {}): AsyncGenerator<Bundle> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) {
    return;
  }
  let yielded = 0;
  for await (const file of readTarFiles(spawnXz(archivePath))) {
    const fileName = basename(file.name);
    if (!fileName.endsWith('.json') || (options.filter && !options.filter(fileName))) {
      continue;
    }
    const bundle: unknown = JSON.parse(file.data.toString('utf8'));
    if (typeof bundle !== 'object' || bundle === null || !('resourceType' in bundle) || bundle.resourceType !== 'Bundle') {
      throw new Error(`${file.name} in ${archivePath} is not a FHIR Bundle`);
    }
    yield bundle as Bundle;
    yielded += 1;
    if (yielded >= limit) {
      return;
    }
  }
}

/** Decompressed archive bytes; the xz process is stopped if the consumer stops early. */
async function* spawnXz(archivePath: string): AsyncGenerator<Buffer> {
  const child = spawn('xz', ['-dc', '--', archivePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // Awaited below; this only keeps a spawn failure from counting as an unhandled rejection meanwhile.
  exited.catch(() => undefined);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  let completed = false;
  try {
    for await (const chunk of child.stdout) {
      yield chunk as Buffer;
    }
    completed = true;
  } finally {
    if (!completed) {
      child.kill();
      await exited.catch(() => undefined);
    }
  }
  const code = await exited;
  if (code !== 0) {
    throw new Error(`xz -dc ${archivePath} exited with ${code}: ${stderr.trim()}`);
  }
}
