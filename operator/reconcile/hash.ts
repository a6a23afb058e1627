// Stable short hashes of strings, used for child names and per-tenant schedule offsets.
// SHA-256 so the result never depends on the Node version, the process or the platform.
import { createHash } from 'node:crypto';

/** Lower-case hex digest of `text`, first `length` characters (at most 64). */
export function hexHash(text: string, length: number): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);
}

/** The first 32 bits of the SHA-256 of `text` as an unsigned integer. */
export function uint32Hash(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0);
}
