import { ValidationError } from './errors.js';
import { decodePageToken, encodePageToken, pageSizeOf } from './page-token.js';

describe('list paging', () => {
  it('round-trips a key through an opaque token', () => {
    const key = { createdAtMs: 1_765_000_000_123, mediaId: `ml-${'ab'.repeat(16)}` };
    const token = encodePageToken(key);
    expect(token).not.toContain(key.mediaId);
    expect(decodePageToken(token)).toEqual(key);
  });

  it('starts at the top for an empty token and refuses one it did not make', () => {
    expect(decodePageToken('')).toBeUndefined();
    expect(() => decodePageToken(Buffer.from('12.welcome.wav').toString('base64url'))).toThrow(
      ValidationError,
    );
  });

  it('takes 1-500, 0 meaning 100', () => {
    expect(pageSizeOf(0)).toBe(100);
    expect(pageSizeOf(500)).toBe(500);
    expect(() => pageSizeOf(501)).toThrow(/page_size must be 1-500/);
  });
});
