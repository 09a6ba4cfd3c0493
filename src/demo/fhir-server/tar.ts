/**
 * A minimal streaming reader for POSIX tar (ustar with pax or GNU long names), enough for the
 * Synthea sample archive. Only regular files are returned; each is held in memory on its own.
 */

const BLOCK = 512;

export interface TarFile {
  name: string;
  data: Buffer;
}

export async function* readTarFiles(source: AsyncIterable<Buffer>): AsyncGenerator<TarFile> {
  const iterator = source[Symbol.asyncIterator]();
  const reader = new ByteReader(iterator);
  try {
    // Set by a pax ('x') or GNU long-name ('L') record; applies to the next entry only.
    let pendingName: string | undefined;
    for (;;) {
      const header = await reader.read(BLOCK);
      if (!header || header.every((byte) => byte === 0)) {
        // Reading the padding to the end lets the source finish normally, so a decompressor's
        // end-of-stream integrity check still reports a corrupt archive.
        await reader.drain();
        return;
      }
      verifyChecksum(header);
      const size = parseOctal(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] ?? 0);
      const data = await reader.read(size);
      if (!data) {
        throw new Error('Tar stream ended inside an entry');
      }
      await reader.read((BLOCK - (size % BLOCK)) % BLOCK);

      if (type === 'x') {
        pendingName = paxPath(data) ?? pendingName;
      } else if (type === 'L') {
        pendingName = cString(data);
      } else {
        const name = pendingName ?? headerName(header);
        pendingName = undefined;
        if (type === '0' || type === '\0') {
          yield { name, data };
        }
      }
    }
  } finally {
    // Stops the producer (e.g. kills xz) when the consumer leaves early.
    await iterator.return?.();
  }
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function parseOctal(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    throw new Error('Tar entries over 8 GiB (base-256 sizes) are not supported');
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  const value = text === '' ? 0 : Number.parseInt(text, 8);
  if (Number.isNaN(value)) {
    throw new Error(`Bad octal number in tar header: ${JSON.stringify(text)}`);
  }
  return value;
}

/** Catches a stream that is not tar at all, or is misaligned, before it yields garbage. */
function verifyChecksum(header: Buffer): void {
  const expected = parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  }
  if (sum !== expected) {
    throw new Error('Tar header checksum mismatch');
  }
}

/** Pax records are `<length> <key>=<value>\n`, where length counts the whole record in bytes. */
function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) {
      break;
    }
    const length = Number.parseInt(data.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isInteger(length) || length <= 0) {
      break;
    }
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') {
      path = record.slice(eq + 1);
    }
    offset += length;
  }
  return path;
}

/** Reads exact byte counts from a chunked stream, buffering no more than one chunk beyond the request. */
class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  async read(n: number): Promise<Buffer | undefined> {
    while (this.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
      } else {
        this.chunks.push(next.value);
        this.length += next.value.length;
      }
    }
    if (this.length < n) {
      return undefined;
    }
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return all.subarray(0, n);
  }

  async drain(): Promise<void> {
    while (!this.done) {
      this.done = (await this.source.next()).done === true;
    }
    this.chunks = [];
    this.length = 0;
  }
}
