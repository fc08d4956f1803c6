import { createHash } from 'node:crypto';

/**
 * A name-based UUID (RFC 9562 version 5 layout): the SHA-1 of the chunks, in order, with the version and
 * variant bits set. The same chunks give the same id in every process, which is what makes a retried
 * message or command recognisable. Each caller decides what it hashes (its namespace, its name).
 */
export function sha1Uuid(...chunks: Array<string | Uint8Array>): string {
  const hash = createHash('sha1');
  for (const chunk of chunks) hash.update(chunk);
  const bytes = hash.digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
