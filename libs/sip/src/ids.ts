// Identifiers an element generates (RFC 3261 8.1.1.4, 8.1.1.7, 19.3): random enough to be globally
// unique, made of token characters only.
import { randomFillSync } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from './via.js';

// The bytes come from a pool refilled 4 KiB at a time: one getrandom call per few hundred ids instead of
// one per id, which was 5 % of the SIP engine's CPU under load (every request it sends needs a branch).
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomText(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString(encoding, used - bytes, used);
}

export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomText(12, 'base64url');
}

export function newTag(): string {
  return randomText(8, 'hex');
}

export function newCallId(host: string): string {
  return `${randomText(16, 'base64url')}@${host}`;
}
