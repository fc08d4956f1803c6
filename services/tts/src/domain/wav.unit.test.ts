import {
  encodeWav,
  isStoredFormat,
  parseWav,
  pcmDurationMs,
  storedWavDurationMs,
  WavFormatError,
} from './wav';

describe('wav', () => {
  const pcm = new Uint8Array(16000).map((_, i) => i % 251);

  it('encodes a canonical header that parses back to the same samples', () => {
    const wav = encodeWav(pcm, 8000);
    expect(wav.length).toBe(44 + pcm.length);
    const parsed = parseWav(wav);
    expect(parsed.format).toEqual({ formatTag: 1, channels: 1, sampleRateHz: 8000, bitsPerSample: 16 });
    expect(Buffer.from(parsed.data).equals(Buffer.from(pcm))).toBe(true);
    expect(isStoredFormat(parsed.format, 8000)).toBe(true);
    expect(isStoredFormat(parsed.format, 16000)).toBe(false);
    expect(storedWavDurationMs(wav)).toBe(1000);
  });

  it('reads a streamed WAV whose sizes are placeholders, and skips chunks it does not know', () => {
    const wav = Buffer.from(encodeWav(pcm, 16000));
    wav.writeUInt32LE(0x7ffff024, 4);
    wav.writeUInt32LE(0x7ffff000, 40);
    const list = Buffer.from('LIST\x04\x00\x00\x00abcd', 'latin1');
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    const parsed = parseWav(withList);
    expect(parsed.format.sampleRateHz).toBe(16000);
    expect(parsed.data.length).toBe(pcm.length);
  });

  it('refuses what is not a WAV', () => {
    expect(() => parseWav(Buffer.from('this is a text file renamed .wav'))).toThrow(WavFormatError);
    expect(() => parseWav(encodeWav(pcm, 8000).subarray(0, 36))).toThrow('no data chunk');
  });

  it('measures s16le mono duration', () => {
    expect(pcmDurationMs(16000, 8000)).toBe(1000);
    expect(pcmDurationMs(16000, 16000)).toBe(500);
  });
});
