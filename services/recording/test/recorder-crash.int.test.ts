// A recording service killed with SIGKILL mid-part: the spool WAV has a placeholder header, and repairWav()
// makes it a valid, partial file holding the audio recorded up to the last batch written.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repairWav } from '@callctl/rtp';
import { readWav, startProcess, waitFor } from '@callctl/testing';
import { readChannels, stretch, toneShare } from './support/wav-analysis.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callctl-recorder-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('leaves a spool file that repairWav turns into a valid partial WAV with the audio recorded so far', async () => {
  const path = join(dir, 'killed.wav');
  // node --import tsx (not the tsx CLI, which forks a grandchild that SIGKILL would leave running).
  const child = startProcess(process.execPath, [
    '--import',
    'tsx',
    join(__dirname, 'support', 'recorder-child.ts'),
    path,
  ]);
  try {
    await waitFor('the recorder to record 2 s', () => /recorded (2\d{3})\n/.test(child.output()), 20000);
  } finally {
    await child.kill();
  }
  const reported = Math.max(...[...child.output().matchAll(/recorded (\d+)/g)].map((m) => Number(m[1])));
  expect((await readWav(path)).dataSize).toBe(0); // the header still says 0 bytes

  const repair = await repairWav(path);
  expect(repair).toMatchObject({ partial: true, sampleRate: 8000, channels: 1, truncatedBytes: 0 });
  // Everything but the batch still gathering (< 200 ms) and one being written when the kill came (200 ms);
  // at most the 100 ms after the last report more.
  expect(repair.durationMs).toBeGreaterThanOrEqual(reported - 400);
  expect(repair.durationMs).toBeLessThanOrEqual(reported + 300);
  const { wav, channels } = await readChannels(path);
  expect(wav.dataSize).toBe(repair.dataBytes);
  expect(toneShare(stretch(channels[0]!, 200, repair.durationMs - 20), 700)).toBeGreaterThan(0.9);
});
