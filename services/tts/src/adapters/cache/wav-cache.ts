// The speech cache on disk: `<mediaId>.wav` beside a `<mediaId>.json` sidecar (its duration). Content
// addressed, so a file never changes once written. Both are written to a temporary name and renamed, the
// sidecar first, so a crash leaves either a whole entry or leftovers the next start removes. The index is
// rebuilt from the directory at start (least recently used first, by the WAV's mtime, which a hit
// refreshes), and the least recently used entries are removed beyond the size cap.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@callctl/logging';
import { storedWavDurationMs } from '../../domain/wav.js';
import type { CachedMedia, SpeechCache } from '../../app/ports.js';

export interface WavCacheOptions {
  dir: string;
  /** Total size of the WAVs kept; the least recently used go beyond it. */
  maxBytes: number;
  log: Logger;
}

const TEMP_SUFFIX = '.tmp';

export class WavCache implements SpeechCache {
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, CachedMedia>();
  private totalBytes = 0;

  private constructor(private readonly options: WavCacheOptions) {}

  /** Opens the directory (created if absent) and indexes what an earlier run left. */
  static async open(options: WavCacheOptions): Promise<WavCache> {
    const cache = new WavCache(options);
    await mkdir(options.dir, { recursive: true });
    await cache.scan();
    return cache;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.totalBytes };
  }

  lookup(mediaId: string): CachedMedia | undefined {
    const entry = this.entries.get(mediaId);
    if (!entry) return undefined;
    this.entries.delete(mediaId);
    this.entries.set(mediaId, entry);
    // The mtime carries recency across a restart; losing one update only makes the order a little stale.
    const now = new Date();
    utimes(entry.path, now, now).catch(() => undefined);
    return entry;
  }

  async store(mediaId: string, wav: Uint8Array, durationMs: number): Promise<CachedMedia> {
    const path = this.wavPath(mediaId);
    const sidecar = this.sidecarPath(mediaId);
    const tag = `.${randomUUID()}${TEMP_SUFFIX}`;
    await writeFile(sidecar + tag, JSON.stringify({ durationMs }));
    await rename(sidecar + tag, sidecar);
    await writeFile(path + tag, wav);
    await rename(path + tag, path);
    const entry: CachedMedia = { mediaId, path, bytes: wav.length, durationMs };
    this.add(entry);
    await this.evict(mediaId);
    return entry;
  }

  private wavPath(mediaId: string) {
    return join(this.options.dir, `${mediaId}.wav`);
  }

  private sidecarPath(mediaId: string) {
    return join(this.options.dir, `${mediaId}.json`);
  }

  private add(entry: CachedMedia) {
    const old = this.entries.get(entry.mediaId);
    if (old) this.totalBytes -= old.bytes;
    this.entries.delete(entry.mediaId);
    this.entries.set(entry.mediaId, entry);
    this.totalBytes += entry.bytes;
  }

  /** Removes least recently used entries until the total fits, never the one just stored. */
  private async evict(keep: string): Promise<void> {
    for (const [mediaId, entry] of this.entries) {
      if (this.totalBytes <= this.options.maxBytes) return;
      if (mediaId === keep) continue;
      this.entries.delete(mediaId);
      this.totalBytes -= entry.bytes;
      // An open FetchMedia stream keeps reading the unlinked file.
      await Promise.all(
        [unlink(entry.path), unlink(this.sidecarPath(mediaId))].map((p) => p.catch(() => undefined)),
      );
      this.options.log.debug({ mediaId, bytes: entry.bytes }, 'evicted from the speech cache');
    }
  }

  private async scan(): Promise<void> {
    const names = await readdir(this.options.dir);
    const found: Array<CachedMedia & { usedMs: number }> = [];
    for (const name of names) {
      const path = join(this.options.dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.wav')) continue;
      const mediaId = name.slice(0, -'.wav'.length);
      try {
        const [info, durationMs] = [await stat(path), await this.durationOf(mediaId)];
        found.push({ mediaId, path, bytes: info.size, durationMs, usedMs: info.mtimeMs });
      } catch (error) {
        this.options.log.warn({ mediaId, err: error }, 'unreadable speech cache entry removed');
        await unlink(path).catch(() => undefined);
      }
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      if (!names.includes(name.replace(/\.json$/, '.wav'))) {
        await unlink(join(this.options.dir, name)).catch(() => undefined);
      }
    }
    found.sort((a, b) => a.usedMs - b.usedMs);
    for (const { usedMs: _used, ...entry } of found) this.add(entry);
    const newest = found.at(-1)?.mediaId ?? '';
    await this.evict(newest);
    this.options.log.info({ dir: this.options.dir, ...this.size }, 'speech cache opened');
  }

  /** From the sidecar; from the WAV's header when the sidecar is missing or unreadable. */
  private async durationOf(mediaId: string): Promise<number> {
    try {
      const { durationMs } = JSON.parse(await readFile(this.sidecarPath(mediaId), 'utf8')) as {
        durationMs?: unknown;
      };
      if (typeof durationMs === 'number' && durationMs >= 0) return durationMs;
    } catch {
      // fall through to the header
    }
    return storedWavDurationMs(new Uint8Array(await readFile(this.wavPath(mediaId))));
  }
}
