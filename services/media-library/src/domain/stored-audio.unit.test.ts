import { readPcmWav, storedRateFor } from './stored-audio.js';

/** A minimal PCM WAV header and `samples` zero samples. */
function wav(rateHz: number, channels: number, bits: number, samples: number): Uint8Array {
  const data = samples * channels * (bits / 8);
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(rateHz, 24);
  out.writeUInt32LE((rateHz * channels * bits) / 8, 28);
  out.writeUInt16LE((channels * bits) / 8, 32);
  out.writeUInt16LE(bits, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(data, 40);
  return out;
}

describe('stored audio', () => {
  it('keeps wideband sources wideband and stores the rest at 8 kHz', () => {
    expect(storedRateFor(48_000)).toBe(16_000);
    expect(storedRateFor(16_000)).toBe(16_000);
    expect(storedRateFor(11_025)).toBe(8000);
    expect(storedRateFor(8000)).toBe(8000);
  });

  it('takes the duration from the sample count', () => {
    expect(readPcmWav(wav(16_000, 1, 16, 24_000))).toMatchObject({ sampleRateHz: 16_000, durationMs: 1500 });
  });

  it('refuses anything but 16-bit mono PCM', () => {
    expect(() => readPcmWav(wav(8000, 2, 16, 10))).toThrow(/16-bit mono/);
    expect(() => readPcmWav(wav(8000, 1, 8, 10))).toThrow(/16-bit mono/);
    expect(() => readPcmWav(Buffer.from('not a wav at all'))).toThrow(/not a WAV/);
  });
});
