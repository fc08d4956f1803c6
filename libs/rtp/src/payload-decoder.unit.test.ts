import { UnsupportedCodecError } from './errors.js';
import { encodeAlaw, encodeMulaw } from './g711.js';
import { payloadDecoderFor } from './payload-decoder.js';

describe('payloadDecoderFor', () => {
  it('decodes PCMU and PCMA payloads, one sample per byte and per timestamp unit', () => {
    const samples = Int16Array.of(0, 1000, -1000, 30000);
    for (const [name, encode] of [
      ['PCMU', encodeMulaw],
      ['pcma', encodeAlaw],
    ] as const) {
      const decoder = payloadDecoderFor(name, 8000);
      const payload = encode(samples);
      const decoded = decoder.decode(payload);
      expect(decoder.samplesIn(payload)).toBe(4);
      expect(decoder.timestampUnitsPerSample).toBe(1);
      expect(decoder.sampleRate).toBe(8000);
      decoded.forEach((value, i) => expect(Math.abs(value - samples[i]!)).toBeLessThanOrEqual(1024));
    }
  });

  it('refuses other codecs with a typed error that says what to subscribe with', () => {
    for (const [name, rate] of [
      ['opus', 48000],
      ['G722', 16000],
      ['G729', 8000],
      ['PCMU', 16000],
    ] as const) {
      let thrown: unknown;
      try {
        payloadDecoderFor(name, rate);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnsupportedCodecError);
      expect((thrown as UnsupportedCodecError).kind).toBe('unimplemented');
      expect((thrown as UnsupportedCodecError).message).toBe(
        `no decoder for ${name}/${rate}: subscribe with codec transcode PCMU, PCMA or G722`,
      );
    }
  });
});
