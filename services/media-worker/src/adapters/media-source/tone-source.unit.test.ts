import { parseWavHeader } from '@callctl/rtp';
import { toneRatio } from '@callctl/testing';
import { ValidationError } from '../../domain/errors.js';
import { parseToneSource, toneWav, withTones } from './tone-source.js';

function samplesOf(wav: Buffer): number[] {
  const samples: number[] = [];
  for (let at = 44; at + 1 < wav.length; at += 2) samples.push(wav.readInt16LE(at));
  return samples;
}

describe('tone: source', () => {
  it('reads frequency and duration', () => {
    expect(parseToneSource('tone:1000:400')).toEqual({ frequencyHz: 1000, durationMs: 400 });
    expect(parseToneSource('tone:100:20')).toEqual({ frequencyHz: 100, durationMs: 20 });
    expect(parseToneSource('tone:4000:5000')).toEqual({ frequencyHz: 4000, durationMs: 5000 });
    expect(parseToneSource('/prompts/hello.wav')).toBeUndefined();
    expect(parseToneSource('library:tone')).toBeUndefined();
  });

  it.each([
    ['tone:99:400', /100-4000 Hz/],
    ['tone:4001:400', /100-4000 Hz/],
    ['tone:1000:19', /20-5000 ms/],
    ['tone:1000:5001', /20-5000 ms/],
    ['tone:1000', /tone:<frequency_hz>:<duration_ms>/],
    ['tone:1000:400:1', /tone:<frequency_hz>:<duration_ms>/],
    ['tone:1e3:400', /tone:<frequency_hz>:<duration_ms>/],
    ['tone:-1000:400', /tone:<frequency_hz>:<duration_ms>/],
    ['tone:', /tone:<frequency_hz>:<duration_ms>/],
  ])('refuses %s', (source, message) => {
    expect(() => parseToneSource(source)).toThrow(ValidationError);
    expect(() => parseToneSource(source)).toThrow(message);
  });

  it('is a 16-bit mono 8 kHz WAV of the sine at -10 dBFS with 5 ms fades', () => {
    const wav = toneWav({ frequencyHz: 1000, durationMs: 400 });
    expect(parseWavHeader(wav)).toMatchObject({ sampleRate: 8000, channels: 1, dataBytes: 6400 });
    const samples = samplesOf(wav);
    expect(samples).toHaveLength(3200);
    expect(toneRatio(samples, 1000)).toBeGreaterThan(0.99);
    const peak = Math.max(...samples.map(Math.abs));
    expect(20 * Math.log10(peak / 32767)).toBeCloseTo(-10, 1);
    // Fades: silent ends, full level 5 ms (40 samples) in.
    expect(Math.abs(samples[0]!)).toBe(0);
    expect(Math.abs(samples.at(-1)!)).toBe(0);
    expect(Math.max(...samples.slice(0, 10).map(Math.abs))).toBeLessThan(peak / 3);
    expect(Math.max(...samples.slice(40, 48).map(Math.abs))).toBe(peak);
  });

  it('makes each tone once through the cache, under its canonical name, and passes other sources on', async () => {
    const made: string[] = [];
    const sources = withTones({
      resolve: (source) => Promise.resolve(`passed:${source}`),
      resolveMade: async (source, make) => {
        made.push(`${source}:${(await make()).length}`);
        return `/cache/${source}`;
      },
    });
    expect(await sources.resolve('tone:0440:400')).toBe('/cache/tone:440:400');
    expect(made).toEqual(['tone:440:400:6444']);
    expect(await sources.resolve('https://prompts.example/a.wav')).toBe(
      'passed:https://prompts.example/a.wav',
    );
    await expect(sources.resolve('tone:50:400')).rejects.toThrow(ValidationError);
  });
});
