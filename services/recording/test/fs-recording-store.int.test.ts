// The directory store on a real filesystem: the RecordingStore contract, and its atomicity: a reader of a
// key sees the whole old file or the whole new one, never a part; a put that dies before its rename leaves
// no key (only a dot-temporary that is never a key); and files stay inside the root.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '@callctl/errors';
import { makeToneFile, startProcess, waitFor } from '@callctl/testing';
import { fsRecordingStore } from '../src/adapters/storage/fs-recording-store.js';
import { describeRecordingStoreContract, readAll, sha256Of } from './support/recording-store-contract.js';

let root: string;
let work: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-recording-store-'));
  work = await mkdtemp(join(tmpdir(), 'fs-recording-store-work-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describeRecordingStoreContract('fs', () => fsRecordingStore({ root: join(root, 'contract') }));

describe('fs store', () => {
  it('writes the key as a file under the root, and a delete removes the directory it emptied', async () => {
    const store = fsRecordingStore({ root: join(root, 'layout') });
    const file = join(work, 'layout.wav');
    await writeFile(file, 'layout');
    await store.put('rec-a/part-1.wav', file);
    expect(await readFile(join(root, 'layout', 'rec-a', 'part-1.wav'), 'utf8')).toBe('layout');
    expect(await readdir(join(root, 'layout', 'rec-a'))).toEqual(['part-1.wav']);
    await store.delete('rec-a/part-1.wav');
    expect(await readdir(join(root, 'layout'))).toEqual([]);
  });

  it('never lets a reader see part of a file while a put replaces it', async () => {
    const store = fsRecordingStore({ root: join(root, 'readers') });
    const key = 'rec-readers/part-1.wav';
    const older = makeToneFile(work, 'older.wav', 32.768, 440, { channels: 2 });
    const newer = makeToneFile(work, 'newer.wav', 32.768, 1000, { channels: 2 });
    const whole = new Set([sha256Of(await readFile(older)), sha256Of(await readFile(newer))]);
    await store.put(key, older);

    let putting = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (putting) seen.push(sha256Of(await readAll(store, key)));
    })();
    for (let i = 0; i < 20; i++) await store.put(key, i % 2 === 0 ? newer : older);
    putting = false;
    await reader;

    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((hash) => !whole.has(hash))).toEqual([]);
    // No temporary is left behind.
    expect(await readdir(join(root, 'readers', 'rec-readers'))).toEqual(['part-1.wav']);
  });

  it('leaves no key when the process dies after copying and before renaming', async () => {
    const crashRoot = join(root, 'crash');
    const file = makeToneFile(work, 'crash.wav', 32.768, 440, { channels: 2 });
    const child = startProcess(process.execPath, [
      '--import',
      'tsx',
      join(__dirname, 'support', 'fs-put-until-rename.ts'),
      crashRoot,
      'rec-crash/part-1.wav',
      file,
    ]);
    try {
      await waitFor('the put to reach its rename', () => /renaming /.test(child.output()), 20_000);
    } finally {
      await child.kill();
    }

    const store = fsRecordingStore({ root: crashRoot });
    await expect(readAll(store, 'rec-crash/part-1.wav')).rejects.toBeInstanceOf(NotFoundError);
    // What the crash left is the complete, fsynced temporary in the key's directory, under a name that is
    // never a key.
    const left = await readdir(join(crashRoot, 'rec-crash'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.part-1\.wav\.[0-9a-f]{12}\.tmp$/);
    expect((await stat(join(crashRoot, 'rec-crash', left[0]!))).size).toBe((await stat(file)).size);
    await expect(readAll(store, `rec-crash/${left[0]}`)).rejects.toBeInstanceOf(ValidationError);

    // The next put of the key (the restart's) stores it whole.
    await store.put('rec-crash/part-1.wav', file);
    expect(sha256Of(await readAll(store, 'rec-crash/part-1.wav'))).toBe(sha256Of(await readFile(file)));
  });

  it('keeps the previous file when a put of the key dies before renaming', async () => {
    const crashRoot = join(root, 'crash-overwrite');
    const store = fsRecordingStore({ root: crashRoot });
    const older = join(work, 'kept.wav');
    await writeFile(older, 'the file stored before');
    await store.put('rec-kept/part-1.wav', older);
    const child = startProcess(process.execPath, [
      '--import',
      'tsx',
      join(__dirname, 'support', 'fs-put-until-rename.ts'),
      crashRoot,
      'rec-kept/part-1.wav',
      makeToneFile(work, 'replacement.wav', 2, 440),
    ]);
    try {
      await waitFor('the put to reach its rename', () => /renaming /.test(child.output()), 20_000);
    } finally {
      await child.kill();
    }
    expect((await readAll(store, 'rec-kept/part-1.wav')).toString()).toBe('the file stored before');
  });

  it('reads a directory in place of a key as NotFound', async () => {
    const store = fsRecordingStore({ root: join(root, 'dirs') });
    const file = join(work, 'd.wav');
    await writeFile(file, 'd');
    await store.put('rec-d/part-1.wav', file);
    await expect(readAll(store, 'rec-d')).rejects.toBeInstanceOf(NotFoundError);
  });
});
