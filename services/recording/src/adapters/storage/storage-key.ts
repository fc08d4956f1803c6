// The keys of a RecordingStore, checked the same way by every store: relative paths like
// `<recording id>/part-1.wav`. A key must never reach outside the store's root (no `..`, no absolute path),
// and no segment may start with a dot, so that the fs store's temporary names (`.<name>.<random>.tmp`) can
// never be a key a reader asks for.
import { ValidationError } from '@callctl/errors';

const MAX_KEY_LENGTH = 512;
// Letters, digits and `-_.=+@`: what ids and part names use, the same on every filesystem and in S3 without
// escaping.
const SEGMENT = /^[A-Za-z0-9_=+@-][A-Za-z0-9._=+@-]*$/;

/** The key's segments; a key that could escape the root or is not a plain relative path is a ValidationError. */
export function storageKeySegments(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new ValidationError(`a storage key must be 1-${MAX_KEY_LENGTH} characters`, { key });
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment))
      throw new ValidationError(
        `storage key ${JSON.stringify(key)} is not a relative path of plain names (no empty, dot-leading or ` +
          `'..' segment, no absolute path, only letters, digits and -_.=+@)`,
        { key },
      );
  }
  return segments;
}
