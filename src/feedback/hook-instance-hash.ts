/**
 * The card log keeps a keyed hash (HMAC-SHA-256) of hookInstance, never the value itself: cards of
 * one hook call can be grouped, and an operator holding a hookInstance from the EHR's own logs can
 * find its cards, but nobody can go from the database back to the EHR call without the key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const MIN_SECRET_LENGTH = 32;

export function hookInstanceHasher(secret: string): (hookInstance: string) => string {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`the hookInstance HMAC secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return (hookInstance) => createHmac('sha256', secret).update(hookInstance).digest('hex');
}

/** For the embedded store: the secret kept in a file beside the data (mode 0600), made on first start. */
export function secretFromFile(file: string): string {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < MIN_SECRET_LENGTH)
      throw new Error(`${file}: the hookInstance HMAC secret is shorter than ${MIN_SECRET_LENGTH} characters`);
    return secret;
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  // 'wx': if another process made it first, fail rather than overwrite, then read theirs.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    if (existsSync(file)) return secretFromFile(file);
    throw err;
  }
}
