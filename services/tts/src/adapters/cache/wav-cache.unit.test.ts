import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@callctl/logging';
import { encodeWav } from '../../domain/wav';
import { WavCache } from './wav-cache';

const log = createLogger({ service: 'wav-cache-test', level: 'silent' });
/** A WAV of `ms` milliseconds at 8 kHz: 16 bytes a millisecond plus the 44-byte header. */
const wavOf = (ms: number) => encodeWav(new Uint8Array(ms * 16), 8000);
const id = (n: number) => `tts-${n.toString(16).padStart(64, '0')}`;

describe('WavCache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wav-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a WAV with its duration and finds it', async () => {
    const cache = await WavCache.open({ dir, maxBytes: 1_000_000, log });
    expect(cache.lookup(id(1))).toBeUndefined();
    const stored = await cache.store(id(1), wavOf(100), 100);
    expect(stored).toEqual({ mediaId: id(1), path: join(dir, `${id(1)}.wav`), bytes: 1644, durationMs: 100 });
    expect(cache.lookup(id(1))).toEqual(stored);
    expect(readdirSync(dir).sort()).toEqual([`${id(1)}.json`, `${id(1)}.wav`]);
  });

  it('evicts the least recently used beyond the cap, counting a look-up as a use', async () => {
    const cache = await WavCache.open({ dir, maxBytes: 3 * 1644, log });
    await cache.store(id(1), wavOf(100), 100);
    await cache.store(id(2), wavOf(100), 100);
    await cache.store(id(3), wavOf(100), 100);
    cache.lookup(id(1));
    await cache.store(id(4), wavOf(100), 100);
    expect([1, 2, 3, 4].map((n) => cache.lookup(id(n)) !== undefined)).toEqual([true, false, true, true]);
    expect(existsSync(join(dir, `${id(2)}.wav`))).toBe(false);
    expect(existsSync(join(dir, `${id(2)}.json`))).toBe(false);
    expect(cache.size).toEqual({ entries: 3, bytes: 3 * 1644 });
  });

  it('keeps an entry larger than the cap until the next one comes', async () => {
    const cache = await WavCache.open({ dir, maxBytes: 1000, log });
    await cache.store(id(1), wavOf(100), 100);
    expect(cache.lookup(id(1))).toBeDefined();
    await cache.store(id(2), wavOf(100), 100);
    expect(cache.lookup(id(1))).toBeUndefined();
    expect(cache.lookup(id(2))).toBeDefined();
  });

  it('rebuilds its index at start: durations, recency from mtimes, leftovers of a crash removed', async () => {
    const first = await WavCache.open({ dir, maxBytes: 1_000_000, log });
    await first.store(id(1), wavOf(100), 100);
    await first.store(id(2), wavOf(200), 200);
    await first.store(id(3), wavOf(300), 300);
    utimesSync(join(dir, `${id(1)}.wav`), new Date(3000_000), new Date(3000_000));
    utimesSync(join(dir, `${id(2)}.wav`), new Date(1000_000), new Date(1000_000));
    utimesSync(join(dir, `${id(3)}.wav`), new Date(2000_000), new Date(2000_000));
    rmSync(join(dir, `${id(3)}.json`)); // a crash between the two renames: the header still says 300 ms
    writeFileSync(join(dir, `${id(9)}.wav.1234.tmp`), 'half a file');
    writeFileSync(join(dir, `${id(8)}.json`), '{"durationMs":5}'); // a sidecar without its WAV

    const second = await WavCache.open({ dir, maxBytes: 1_000_000, log });
    expect(second.lookup(id(3))?.durationMs).toBe(300);
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp') || n.startsWith(id(8)))).toBe(false);
    rmSync(join(dir, `${id(3)}.wav`));
    rmSync(join(dir, `${id(3)}.json`), { force: true });

    // id(2) is the least recently used (oldest mtime): a cap just short of all three evicts it first.
    const third = await WavCache.open({ dir, maxBytes: 1644 + 3244 + 1643, log });
    await third.store(id(4), wavOf(100), 100);
    expect(third.lookup(id(2))).toBeUndefined();
    expect(third.lookup(id(1))).toMatchObject({ durationMs: 100 });
    expect(third.lookup(id(4))).toBeDefined();
  });

  it('evicts at start when the cap shrank', async () => {
    const first = await WavCache.open({ dir, maxBytes: 1_000_000, log });
    for (const n of [1, 2, 3]) await first.store(id(n), wavOf(100), 100);
    const smaller = await WavCache.open({ dir, maxBytes: 2 * 1644, log });
    expect(smaller.size).toEqual({ entries: 2, bytes: 2 * 1644 });
  });
});
