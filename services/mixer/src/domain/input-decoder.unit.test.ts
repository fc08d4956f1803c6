import { decodeMulaw, encodeAlaw, G722Decoder, HalfBandDecimator } from '@callctl/rtp';
import { inputDecoderFor } from './input-decoder';

/** Three 20 ms packets of G.722 codes (any bytes are valid codes). */
const G722_PACKETS = [0, 1, 2].map((p) => Uint8Array.from({ length: 160 }, (_, i) => (p * 160 + i) * 53 + 7));

describe('input decoder', () => {
  it('decodes G.711 by table, one sample per byte', () => {
    const out = new Int16Array(160);
    const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
    expect(inputDecoderFor('PCMU').decodeInto(payload, out)).toBe(160);
    expect(out).toEqual(decodeMulaw(payload));
    const alaw = encodeAlaw(Int16Array.from({ length: 160 }, (_, i) => i * 100));
    expect(inputDecoderFor('PCMA').decodeInto(alaw, out)).toBe(160);
    expect(out[100]).toBeCloseTo(10000, -3);
  });

  it('decodes G.722 to 16 kHz and decimates it to 8 kHz: 160 codes, 160 samples, state kept across packets', () => {
    const decoder = inputDecoderFor('G722');
    const reference = { g722: new G722Decoder(), decimator: new HalfBandDecimator() };
    const out = new Int16Array(160);
    const expected = new Int16Array(160);
    for (const packet of G722_PACKETS) {
      expect(decoder.decodeInto(packet, out)).toBe(160);
      reference.decimator.decimateInto(reference.g722.decode(packet), expected);
      expect(out).toEqual(expected);
    }
  });

  it('starts G.722 afresh after reset (a discontinuity), as a new decoder would', () => {
    const decoder = inputDecoderFor('G722');
    const out = new Int16Array(160);
    decoder.decodeInto(G722_PACKETS[0]!, out);
    decoder.reset();
    decoder.decodeInto(G722_PACKETS[1]!, out);
    const fresh = new Int16Array(160);
    inputDecoderFor('G722').decodeInto(G722_PACKETS[1]!, fresh);
    expect(out).toEqual(fresh);
  });

  it('takes a packet longer than 20 ms', () => {
    const long = new Uint8Array(480).fill(0xfa);
    expect(inputDecoderFor('G722').decodeInto(long, new Int16Array(480))).toBe(480);
  });
});
