import { G722Decoder } from './g722.js';

describe('G722Decoder.decodeInto', () => {
  it('writes what decode returns, two samples per code, into a reused frame', () => {
    const codes = Uint8Array.from({ length: 480 }, (_, i) => (i * 37 + 11) & 0xff);
    const byDecode = new G722Decoder();
    const byInto = new G722Decoder();
    const frame = new Int16Array(320);
    for (let i = 0; i < codes.length; i += 160) {
      const packet = codes.subarray(i, i + 160);
      expect(byInto.decodeInto(packet, frame)).toBe(320);
      expect(frame).toEqual(byDecode.decode(packet));
    }
  });
});
