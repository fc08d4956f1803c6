import { ValidationError } from './errors.js';

/**
 * Library ids are `ml-` and 32 lowercase hex digits (128 random bits). The call-orchestrator tells them from
 * the names of files on the media nodes by this prefix, so the form must not change.
 */
export const MEDIA_ID_PREFIX = 'ml-';
const MEDIA_ID = /^ml-[0-9a-f]{32}$/;

/** A new id from 16 random bytes (the caller supplies them: this module stays pure). */
export function mediaIdFrom(random16: Uint8Array): string {
  if (random16.length !== 16) throw new RangeError('a media id takes 16 random bytes');
  return MEDIA_ID_PREFIX + Buffer.from(random16).toString('hex');
}

/** The id of a request, checked: empty or malformed ids are INVALID_ARGUMENT naming the expected form. */
export function parseMediaId(value: string): string {
  if (!value) throw new ValidationError('media_id is required');
  if (!MEDIA_ID.test(value))
    throw new ValidationError(`media_id must be "ml-" followed by 32 lowercase hex digits, got "${value}"`);
  return value;
}
