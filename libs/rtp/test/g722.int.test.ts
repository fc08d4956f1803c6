// The G.722 decoder against ffmpeg's (a real reference, installed): a signal is encoded by ffmpeg, then
// decoded by both; the samples must be identical. The signal mixes tones in both sub-bands with seeded
// noise, so both ADPCM predictors and the QMF are exercised.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary, seededRandom, toneRatio } from '@callctl/testing';
import { payloadDecoderFor } from '../src/payload-decoder.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callctl-rtp-g722-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function int16(bytes: Buffer): Int16Array {
  const samples = new Int16Array(bytes.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  return samples;
}

it('decodes ffmpeg-encoded G.722 sample for sample as ffmpeg does, in 20 ms RTP payloads', async () => {
  const ffmpeg = requireBinary('ffmpeg', 'ffmpeg');
  const random = seededRandom(722);
  const input = Buffer.alloc(16000 * 2 * 2); // 2 s at 16 kHz
  for (let i = 0; i < input.length / 2; i++) {
    const t = i / 16000;
    const sample =
      6000 * Math.sin(2 * Math.PI * 700 * t) +
      4000 * Math.sin(2 * Math.PI * 5200 * t) +
      3000 * (random() - 0.5);
    input.writeInt16LE(Math.round(sample), i * 2);
  }
  await writeFile(join(dir, 'in.raw'), input);
  const raw = ['-f', 's16le', '-ar', '16000', '-ac', '1'];
  await run(ffmpeg, [
    '-loglevel',
    'error',
    '-y',
    ...raw,
    '-i',
    join(dir, 'in.raw'),
    '-c:a',
    'g722',
    '-f',
    'g722',
    join(dir, 'x.g722'),
  ]);
  await run(ffmpeg, [
    '-loglevel',
    'error',
    '-y',
    '-f',
    'g722',
    '-i',
    join(dir, 'x.g722'),
    ...raw,
    join(dir, 'ref.raw'),
  ]);
  const codes = await readFile(join(dir, 'x.g722'));
  const reference = int16(await readFile(join(dir, 'ref.raw')));
  expect(codes.length).toBe(16000); // one code per two samples

  const decoder = payloadDecoderFor('G722', 8000);
  expect(decoder.sampleRate).toBe(16000);
  const decoded: number[] = [];
  for (let at = 0; at < codes.length; at += 160) {
    const payload = codes.subarray(at, at + 160);
    expect(decoder.samplesIn(payload)).toBe(320);
    decoded.push(...decoder.decode(payload));
  }
  expect(decoded.length).toBe(reference.length);
  const differing = decoded.filter((value, i) => value !== reference[i]).length;
  expect(differing).toBe(0);
  // And it is the signal: the 700 Hz tone dominates the lower band (toneRatio assumes 8 kHz, so read every
  // other sample of the 16 kHz output).
  const lowBand = decoded.filter((_, i) => i % 2 === 0).slice(4000);
  expect(toneRatio(lowBand, 700)).toBeGreaterThan(0.4);
});
