import { ValidationError } from './errors.js';

export const MAX_NAME_CHARS = 200;

/** The upload's name, for people: required, at most MAX_NAME_CHARS characters. */
export function parseUploadName(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  if (!trimmed) throw new ValidationError('metadata.name is required');
  if ([...trimmed].length > MAX_NAME_CHARS)
    throw new ValidationError(`metadata.name is longer than ${MAX_NAME_CHARS} characters`);
  return trimmed;
}

/** The message of an upload over the limit (it names the limit, so the caller knows what fits). */
export function tooLargeMessage(maxBytes: number): string {
  return `upload exceeds the size limit of ${maxBytes} bytes (MEDIA_UPLOAD_MAX_BYTES)`;
}
