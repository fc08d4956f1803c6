// ListMedia pages by keyset (newest first: created_at, then media_id, both descending), so a page costs the
// same however deep it is and an upload between two pages neither repeats nor skips a file. The token is the
// last row's key, base64url-encoded: opaque to callers, checked when it comes back.
import { ValidationError } from './errors.js';

export interface PageKey {
  createdAtMs: number;
  mediaId: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

export function pageSizeOf(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PAGE_SIZE)
    throw new ValidationError(
      `page_size must be 1-${MAX_PAGE_SIZE} (0 for ${DEFAULT_PAGE_SIZE}), got ${requested}`,
    );
  return requested;
}

export function encodePageToken(key: PageKey): string {
  return Buffer.from(`${key.createdAtMs}.${key.mediaId}`).toString('base64url');
}

/** undefined for the first page; a token this service did not make is INVALID_ARGUMENT. */
export function decodePageToken(token: string): PageKey | undefined {
  if (!token) return undefined;
  const match = /^(\d{1,15})\.(ml-[0-9a-f]{32})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw new ValidationError('page_token is not one ListMedia returned');
  return { createdAtMs: Number(match[1]), mediaId: match[2] as string };
}
