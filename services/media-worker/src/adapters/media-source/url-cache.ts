import { createHash } from 'node:crypto';
import { access, constants, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';
import type { MediaSources } from '../../app/ports.js';

export interface UrlCacheOptions {
  /** Directory the downloads are kept in (created if missing). */
  dir: string;
  /** Deadline of one download. */
  timeoutMs: number;
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** A download older than this is fetched again: the prompt behind a URL may change. */
  maxAgeMs: number;
  /** Total size of the downloads kept; beyond it the least recently played are removed. */
  maxTotalBytes: number;
  /** @default Date.now */
  now?: () => number;
}

const PARTIAL_SUFFIX = '.part';
/**
 * How long what this process learnt of a download (its time, its last use) stands without asking the
 * file system again. Every play used to cost a stat and a utimes (two thread-pool round trips, a visible
 * share of the worker's CPU per call); now a prompt played again and again costs them once per period.
 */
const RECHECK_MS = 5000;
/** What the cache names its downloads: a URL hash and the URL's extension. Nothing else is evicted. */
const DOWNLOAD_NAME = /^[0-9a-f]{32}\.[^.]+$/;

/**
 * rtpengine plays files only, so an http(s) prompt is downloaded first and kept under a name derived from
 * its URL; a second play of the same URL within maxAgeMs of the download reuses it. A file's mtime is its
 * download time and its atime its last use; after a download the least recently used files are removed
 * until the directory fits maxTotalBytes (a file rtpengine is still reading stays readable after its
 * unlink). Local paths pass through unchanged.
 */
export class UrlCache implements MediaSources {
  private readonly now: () => number;
  /** Downloads in progress by file: concurrent plays of one uncached URL share a single fetch. */
  private readonly inflight = new Map<string, Promise<string>>();
  private partials = 0;
  /** What this process knows of its downloads, so repeated plays need not ask the file system. */
  private readonly known = new Map<string, KnownDownload>();

  constructor(private readonly options: UrlCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async resolve(source: string): Promise<string> {
    if (!/^https?:\/\//i.test(source)) {
      if (!source.startsWith('/'))
        throw new ValidationError(`media source must be an absolute path or http(s) URL: ${source}`);
      // A download below was found within RECHECK_MS; a path is checked on every play, it may come and go.
      // The message goes back to the application (through the orchestrator): it names the file, never the
      // directory it was looked for in on this host.
      await access(source, constants.R_OK).catch((error: unknown) => {
        throw new NotFoundError(`media file not found: ${basename(source)}`, {}, { cause: error });
      });
      return source;
    }
    let url: URL;
    try {
      url = new URL(source);
    } catch (error) {
      throw new ValidationError(`bad media URL: ${source}`, {}, { cause: error });
    }
    const name =
      createHash('sha256').update(url.href).digest('hex').slice(0, 32) + (extname(url.pathname) || '.wav');
    const file = join(this.options.dir, name);
    const downloadedAtMs = await this.freshDownloadTime(file);
    if (downloadedAtMs !== undefined) {
      await this.markUsed(file, downloadedAtMs);
      return file;
    }
    this.known.delete(file);
    const running = this.inflight.get(file);
    if (running !== undefined) return running;
    const fetching = this.fetchInto(url, file).finally(() => this.inflight.delete(file));
    this.inflight.set(file, fetching);
    return fetching;
  }

  private async fetchInto(url: URL, file: string): Promise<string> {
    await mkdir(this.options.dir, { recursive: true });
    const body = await this.download(url);
    // Unique per process and download, so two workers sharing the directory never rename each other's file.
    const partial = `${file}.${process.pid}-${++this.partials}${PARTIAL_SUFFIX}`;
    await writeFile(partial, body);
    await rename(partial, file).catch(async (error: unknown) => {
      await rm(partial, { force: true });
      throw error;
    });
    this.known.delete(file);
    await this.markUsed(file, this.now());
    await this.evictBeyondLimit(file);
    return file;
  }

  /**
   * The download time (the file's mtime) of a file young enough to reuse, else undefined. A file's atime
   * is its last use.
   */
  private async freshDownloadTime(file: string): Promise<number | undefined> {
    const now = this.now();
    const known = this.known.get(file);
    const fresh = (downloadedAtMs: number) => now - downloadedAtMs < this.options.maxAgeMs;
    if (known && now - known.checkedAtMs < RECHECK_MS)
      return fresh(known.downloadedAtMs) ? known.downloadedAtMs : undefined;
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) return undefined;
    this.known.set(file, { downloadedAtMs: info.mtimeMs, checkedAtMs: now, usedAtMs: now, markedAtMs: 0 });
    return fresh(info.mtimeMs) ? info.mtimeMs : undefined;
  }

  /**
   * Records a use now. The file's atime (its last use, for every process sharing the directory) is set at
   * most once per RECHECK_MS; this process's own eviction also sees the uses in between.
   */
  private async markUsed(file: string, downloadedAtMs: number): Promise<void> {
    const now = this.now();
    const known = this.known.get(file) ?? { downloadedAtMs, checkedAtMs: now, usedAtMs: now, markedAtMs: 0 };
    this.known.set(file, { ...known, usedAtMs: now });
    if (now - known.markedAtMs < RECHECK_MS) return;
    this.known.set(file, { ...known, usedAtMs: now, markedAtMs: now });
    await utimes(file, new Date(now), new Date(downloadedAtMs)).catch(() => undefined);
  }

  /** Removes the least recently used downloads until the rest fit maxTotalBytes; `keep` always stays. */
  private async evictBeyondLimit(keep: string): Promise<void> {
    const names = await readdir(this.options.dir);
    const files = await Promise.all(
      names
        .filter((name) => DOWNLOAD_NAME.test(name))
        .map(async (name) => {
          const path = join(this.options.dir, name);
          const info = await stat(path).catch(() => undefined);
          const usedAtMs = Math.max(info?.atimeMs ?? 0, this.known.get(path)?.usedAtMs ?? 0);
          return info?.isFile() ? { path, size: info.size, usedAtMs } : undefined;
        }),
    );
    const present = files.filter((f) => f !== undefined);
    let total = present.reduce((sum, f) => sum + f.size, 0);
    for (const f of present.sort((a, b) => a.usedAtMs - b.usedAtMs)) {
      if (total <= this.options.maxTotalBytes) break;
      if (f.path === keep) continue;
      await rm(f.path, { force: true });
      this.known.delete(f.path);
      total -= f.size;
    }
  }

  private async download(url: URL): Promise<Buffer> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError')
        throw new TimeoutError(`media URL did not answer within ${this.options.timeoutMs} ms: ${url.href}`);
      throw new UnavailableError(`media URL unreachable: ${url.href}`, {}, { cause: error });
    }
    if (response.status === 404 || response.status === 410)
      throw new NotFoundError(`media URL not found (HTTP ${response.status}): ${url.href}`);
    if (!response.ok) throw new UnavailableError(`media URL answered HTTP ${response.status}: ${url.href}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > this.options.maxBytes)
      throw new ValidationError(`media URL larger than ${this.options.maxBytes} bytes: ${url.href}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).byteLength;
      if (size > this.options.maxBytes)
        throw new ValidationError(`media URL larger than ${this.options.maxBytes} bytes: ${url.href}`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}

interface KnownDownload {
  downloadedAtMs: number;
  /** When the file system was last asked about it. */
  checkedAtMs: number;
  usedAtMs: number;
  /** When its atime was last set. */
  markedAtMs: number;
}
