// A recorder killed with SIGKILL mid-write: repairWav() turns what reached the disk into a valid WAV.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, startProcess, waitFor } from '@callctl/testing';
import { repairWav } from '../src/wav-writer.js';
import { signalFrames } from './wav-signal.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callctl-rtp-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('repairs the WAV of a writer killed with SIGKILL: valid header, every written frame, marked partial', async () => {
  const path = join(dir, 'killed.wav');
  // node --import tsx (not the tsx CLI, which forks a grandchild that SIGKILL would leave running).
  const child = startProcess(process.execPath, [
    '--import',
    'tsx',
    join(__dirname, 'wav-writer-child.ts'),
    path,
    '2',
  ]);
  try {
    await waitFor('the writer to write 50 chunks', () => /written 8000\n/.test(child.output()), 20000);
  } finally {
    await child.kill();
  }
  const reported = Math.max(...[...child.output().matchAll(/written (\d+)/g)].map((m) => Number(m[1])));
  expect((await readWav(path)).dataSize).toBe(0); // what a player would see without the repair

  const repair = await repairWav(path);
  expect(repair.partial).toBe(true);
  expect(repair.channels).toBe(2);
  const frames = repair.dataBytes / 4;
  expect(frames).toBeGreaterThanOrEqual(reported); // nothing the writer reported as written is lost
  expect(repair.durationMs).toBe((frames * 1000) / 8000);

  const wav = await readWav(path);
  expect(wav).toMatchObject({
    sampleRate: 8000,
    channels: 2,
    dataSize: frames * 4,
    riffSize: 36 + frames * 4,
  });
  expect(wav.fileSize).toBe((await readFile(path)).length);
  expect(Array.from(wav.samples)).toEqual(Array.from(signalFrames(0, frames, 2)));
});
