// What every RecordingStore must do, run against each implementation (the fs store on a temporary directory,
// the S3 store against the S3 double): the bytes come back exactly (SHA-256 of a 1 MB WAV), a put
// overwrites, delete removes and tolerates a missing key, a missing key reads as NotFound, and keys that could
// leave the store's root are refused before any I/O.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '@callctl/errors';
import { makeToneFile } from '@callctl/testing';
import type { RecordingStore } from '../../src/app/ports.js';

export async function readAll(store: RecordingStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.read(key)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export const BAD_KEYS = [
  '',
  '/etc/passwd',
  '../outside.wav',
  'rec-1/../../outside.wav',
  'rec-1/..',
  'rec-1/./part-1.wav',
  'rec-1//part-1.wav',
  'rec-1/part-1.wav/',
  'rec-1\\..\\part-1.wav',
  '.part-1.wav.0123456789ab.tmp',
  'rec-1/.hidden',
  'rec-1/part 1.wav',
  'x'.repeat(513),
];

export function describeRecordingStoreContract(name: string, storeOf: () => RecordingStore): void {
  describe(`${name}: the RecordingStore contract`, () => {
    let work: string;
    let wav: string;
    let wavBytes: Buffer;

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'recording-store-contract-'));
      // 32.8 s of 8 kHz 16-bit stereo: a 1 MB call recording.
      wav = makeToneFile(work, 'call.wav', 32.768, 440, { channels: 2 });
      wavBytes = await readFile(wav);
    });
    afterAll(async () => {
      await rm(work, { recursive: true, force: true });
    });

    it('stores a 1 MB WAV and reads back the very same bytes', async () => {
      const store = storeOf();
      expect(wavBytes.length).toBe(1_048_576 + 44);
      const key = 'rec-00000000000000000000000000000001/part-1.wav';
      expect(await store.put(key, wav)).toEqual({ bytes: wavBytes.length });
      const back = await readAll(store, key);
      expect(back.length).toBe(wavBytes.length);
      expect(sha256Of(back)).toBe(sha256Of(wavBytes));
    });

    it('overwrites a key with the new file', async () => {
      const store = storeOf();
      const key = 'rec-00000000000000000000000000000002/part-1.wav';
      await store.put(key, wav);
      const second = join(work, 'second.wav');
      await writeFile(second, Buffer.from('RIFF-not-really-a-wav-but-different-bytes'));
      expect(await store.put(key, second)).toEqual({ bytes: 41 });
      expect((await readAll(store, key)).toString()).toBe('RIFF-not-really-a-wav-but-different-bytes');
    });

    it('deletes a key; deleting it again, or a key never stored, is fine', async () => {
      const store = storeOf();
      const key = 'rec-00000000000000000000000000000003/part-2.wav';
      await store.put(key, wav);
      await store.delete(key);
      await store.delete(key);
      await store.delete('rec-never-stored/part-1.wav');
      await expect(readAll(store, key)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('reads a key never stored as NotFound', async () => {
      await expect(readAll(storeOf(), 'rec-never-stored/part-1.wav')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps keys apart: a sibling part is not touched by a put or a delete', async () => {
      const store = storeOf();
      const one = 'rec-00000000000000000000000000000004/part-1.wav';
      const two = 'rec-00000000000000000000000000000004/part-2.wav';
      await store.put(one, wav);
      const small = join(work, 'small.wav');
      await writeFile(small, Buffer.from('part two'));
      await store.put(two, small);
      await store.delete(two);
      expect(sha256Of(await readAll(store, one))).toBe(sha256Of(wavBytes));
    });

    it('refuses a put of a local file that does not exist, storing nothing', async () => {
      const store = storeOf();
      const key = 'rec-00000000000000000000000000000005/part-1.wav';
      await expect(store.put(key, join(work, 'missing.wav'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(readAll(store, key)).rejects.toBeInstanceOf(NotFoundError);
    });

    const labelled = BAD_KEYS.map((key) => [
      key.length > 40 ? `of ${key.length} characters` : JSON.stringify(key),
      key,
    ]);
    it.each(labelled)('refuses the key %s for put, read and delete', async (_label, key) => {
      const store = storeOf();
      await expect(store.put(key, wav)).rejects.toBeInstanceOf(ValidationError);
      await expect(readAll(store, key)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
