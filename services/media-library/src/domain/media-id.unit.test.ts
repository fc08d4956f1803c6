import { mediaIdFrom, parseMediaId } from './media-id.js';

describe('media ids', () => {
  it('are ml- and 32 lowercase hex digits of the random bytes', () => {
    expect(mediaIdFrom(Uint8Array.from({ length: 16 }, (_, i) => i * 17))).toBe(
      'ml-00112233445566778899aabbccddeeff',
    );
  });

  it.each([
    ['', /required/],
    ['welcome.wav', /"ml-" followed by 32/],
    [`ml-${'A'.repeat(32)}`, /lowercase/],
  ])('refuses %j', (id, message) => {
    expect(() => parseMediaId(id)).toThrow(message);
  });
});
