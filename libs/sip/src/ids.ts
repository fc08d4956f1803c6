// Identifiers an element generates (RFC 3261 8.1.1.4, 8.1.1.7, 19.3): random enough to be globally
// unique, made of token characters only.
import { randomBytes } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from './via.js';

export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomBytes(12).toString('base64url');
}

export function newTag(): string {
  return randomBytes(8).toString('hex');
}

export function newCallId(host: string): string {
  return `${randomBytes(16).toString('base64url')}@${host}`;
}
