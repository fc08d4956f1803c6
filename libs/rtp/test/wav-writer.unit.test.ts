import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidWavFormatError, NotARepairableWavError } from '../src/errors.js';
import { readWav } from '@callctl/testing';
import { repairWav, WavWriter } from '../src/wav-writer.js';
import { signalFrames } from './wav-signal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callctl-rtp-wav-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WavWriter', () => {
  it.each([
    [8000, 1],
    [8000, 2],
    [16000, 1],
    [16000, 2],
  ] as const)(
    'writes a WAV that reads back sample for sample (%i Hz, %i channels)',
    async (sampleRate, channels) => {
      const path = join(dir, 'out.wav');
      const writer = await WavWriter.open(path, { sampleRate, channels });
      const first = signalFrames(0, 160, channels);
      const second = signalFrames(160, 333, channels);
      await Promise.all([writer.append(first), writer.append(second)]); // appends keep their order
      expect(writer.frames).toBe(493);
      expect(writer.durationMs).toBeCloseTo((493 * 1000) / sampleRate);
      await writer.close();

      const wav = await readWav(path);
      expect(wav).toMatchObject({
        audioFormat: 1,
        channels,
        sampleRate,
        byteRate: sampleRate * channels * 2,
        blockAlign: channels * 2,
        bitsPerSample: 16,
        dataSize: 493 * channels * 2,
        riffSize: 36 + 493 * channels * 2,
        fileSize: 44 + 493 * channels * 2,
      });
      expect(Array.from(wav.samples)).toEqual(Array.from(signalFrames(0, 493, channels)));
    },
  );

  it('has a header with placeholder sizes while running, so a player sees an empty file until close', async () => {
    const path = join(dir, 'running.wav');
    const writer = await WavWriter.open(path, { sampleRate: 8000, channels: 1 });
    await writer.append(signalFrames(0, 800, 1));
    const running = await readWav(path);
    expect(running.dataSize).toBe(0);
    expect(running.fileSize).toBe(44 + 1600);
    await writer.close();
    expect((await readWav(path)).dataSize).toBe(1600);
  });

  it('rejects a format it does not write and samples that are not whole frames', async () => {
    await expect(WavWriter.open(join(dir, 'x.wav'), { sampleRate: 44100, channels: 1 })).rejects.toThrow(
      /sample rate must be 8000 or 16000, got 44100/,
    );
    await expect(WavWriter.open(join(dir, 'x.wav'), { sampleRate: 8000, channels: 3 })).rejects.toThrow(
      InvalidWavFormatError,
    );
    const writer = await WavWriter.open(join(dir, 'y.wav'), { sampleRate: 8000, channels: 2 });
    await expect(writer.append(new Int16Array(3))).rejects.toThrow(/3 samples do not fill whole frames of 2/);
    await writer.close();
    await expect(writer.append(new Int16Array(2))).rejects.toThrow(/append after close/);
  });

  it('truncates after the writes queued before, and later appends continue from the new end', async () => {
    const path = join(dir, 'trimmed.wav');
    const writer = await WavWriter.open(path, { sampleRate: 8000, channels: 2 });
    void writer.append(signalFrames(0, 300, 2));
    const trimmed = writer.truncate(100 * 4); // queued behind the append: it must not be undone by it
    expect(writer.frames).toBe(100);
    await trimmed;
    expect((await stat(path)).size).toBe(44 + 400);
    await writer.append(signalFrames(500, 50, 2));
    await writer.close();
    const wav = await readWav(path);
    expect(wav.dataSize).toBe(150 * 4);
    expect(Array.from(wav.samples)).toEqual([
      ...Array.from(signalFrames(0, 100, 2)),
      ...Array.from(signalFrames(500, 50, 2)),
    ]);
  });

  it('refuses to truncate beyond the data or inside a frame', async () => {
    const writer = await WavWriter.open(join(dir, 't.wav'), { sampleRate: 8000, channels: 2 });
    await writer.append(signalFrames(0, 10, 2));
    await expect(writer.truncate(44)).rejects.toThrow(/cannot truncate 40 data bytes to 44/);
    await expect(writer.truncate(6)).rejects.toThrow(/6 bytes do not end on a whole frame/);
    await expect(writer.truncate(-4)).rejects.toThrow(InvalidWavFormatError);
    await writer.truncate(0);
    await writer.close();
    await expect(writer.truncate(0)).rejects.toThrow(/truncate after close/);
    expect((await readWav(join(dir, 't.wav'))).dataSize).toBe(0);
  });

  it('after a failed write rejects every later append and close(), leaving the file to repairWav', async () => {
    const path = join(dir, 'failing.wav');
    const writer = await WavWriter.open(path, { sampleRate: 8000, channels: 1 });
    await writer.append(signalFrames(0, 160, 1));
    // The file handle goes away under the writer, as a write error (EBADF here, ENOSPC in life) would.
    await (writer as unknown as { file: { close(): Promise<void> } }).file.close();
    await expect(writer.append(signalFrames(160, 160, 1))).rejects.toThrow(/EBADF|closed/);
    await expect(writer.append(signalFrames(320, 160, 1))).rejects.toThrow(/EBADF|closed/);
    await expect(writer.close()).rejects.toThrow(/EBADF|closed/);
    const repair = await repairWav(path);
    expect(repair).toMatchObject({ partial: true, dataBytes: 320 });
    expect(Array.from((await readWav(path)).samples)).toEqual(Array.from(signalFrames(0, 160, 1)));
  });
});

describe('repairWav', () => {
  it('leaves a properly closed file as it is and says it is complete', async () => {
    const path = join(dir, 'ok.wav');
    const writer = await WavWriter.open(path, { sampleRate: 16000, channels: 2 });
    await writer.append(signalFrames(0, 1600, 2));
    await writer.close();
    const before = await readWav(path);
    expect(await repairWav(path)).toEqual({
      sampleRate: 16000,
      channels: 2,
      partial: false,
      dataBytes: 6400,
      durationMs: 100,
      truncatedBytes: 0,
    });
    expect(await readWav(path)).toEqual(before);
  });

  it('fixes the sizes of a file whose writer never closed and cuts a torn last frame', async () => {
    const path = join(dir, 'torn.wav');
    const writer = await WavWriter.open(path, { sampleRate: 8000, channels: 2 });
    await writer.append(signalFrames(0, 400, 2));
    // The writer "dies" here: no close(). A torn write left 3 bytes of a 4-byte stereo frame.
    await appendFile(path, Buffer.from([1, 2, 3]));
    const repair = await repairWav(path);
    expect(repair).toEqual({
      sampleRate: 8000,
      channels: 2,
      partial: true,
      dataBytes: 1600,
      durationMs: 50,
      truncatedBytes: 3,
    });
    const wav = await readWav(path);
    expect(wav).toMatchObject({ dataSize: 1600, riffSize: 36 + 1600, fileSize: 44 + 1600, channels: 2 });
    expect(Array.from(wav.samples)).toEqual(Array.from(signalFrames(0, 400, 2)));
    expect((await repairWav(path)).partial).toBe(false); // repaired once, it is complete
    await writer.close().catch(() => undefined);
  });

  it('repairs a file that holds nothing but the header', async () => {
    const path = join(dir, 'empty.wav');
    const writer = await WavWriter.open(path, { sampleRate: 8000, channels: 1 });
    await appendFile(path, Buffer.from([7]));
    expect(await repairWav(path)).toMatchObject({ partial: true, dataBytes: 0, truncatedBytes: 1 });
    expect((await stat(path)).size).toBe(44);
    await writer.close().catch(() => undefined);
  });

  it('refuses a file that is not a WAV it wrote, naming why', async () => {
    const path = join(dir, 'junk.wav');
    await writeFile(path, Buffer.alloc(100, 0x41));
    await expect(repairWav(path)).rejects.toThrow(NotARepairableWavError);
    await expect(repairWav(path)).rejects.toThrow(/no RIFF\/WAVE signature/);
    await writeFile(path, Buffer.from('RIFF'));
    await expect(repairWav(path)).rejects.toThrow(/4 bytes, a header has 44/);
  });
});
