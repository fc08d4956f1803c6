import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { access, constants, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { basename, extname, join } from 'node:path';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { refusalOf, type UrlAllowList } from '../../domain/address-policy.js';
import type { MediaSources } from '../../app/ports.js';
import type { FetchStoredMedia } from './media-store-fetch.js';

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
  /**
   * Private, loopback, link-local, ... addresses a URL may still be downloaded from (MEDIA_URL_ALLOW); every
   * other such address is refused (SSRF).
   */
  allow: UrlAllowList;
  /**
   * MediaStores by source scheme (`tts`, `library`): `<scheme>:<media id>` is fetched from that store. Ids
   * are content addresses, so a fetched id is reused until the least-recently-used eviction removes it.
   */
  stores?: Record<string, FetchStoredMedia>;
  /** @default Date.now */
  now?: () => number;
}

/** Redirects followed per download, each target checked like the first URL. */
const MAX_REDIRECTS = 3;

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
 * rtpengine plays files only, and from its own file system: the worker runs beside rtpengine and shares this
 * directory with it (same host, or one volume mounted in both containers at the same path), so the path the
 * worker writes is the path rtpengine opens. Media from a MediaStore (`tts:<id>`, `library:<id>`) is fetched
 * into the same directory, under a name derived from the source; it never goes stale (content addresses).
 *
 * An http(s) prompt is downloaded first and kept under a name derived from
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
    const stored = /^([a-z]+):(.+)$/.exec(source);
    const store =
      stored && !/^https?$/i.test(stored[1] ?? '') ? this.options.stores?.[stored[1] ?? ''] : undefined;
    if (stored && store) return this.resolveStored(source, stored[2] ?? '', store);
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
    return this.fetchOnce(file, () => this.download(url));
  }

  /** A stored media id: reused whatever its age (its bytes never change), fetched once otherwise. */
  private async resolveStored(source: string, mediaId: string, store: FetchStoredMedia): Promise<string> {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(mediaId)) throw new ValidationError(`bad media id: ${source}`);
    return this.resolveMade(source, () =>
      store(mediaId, { timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxBytes }),
    );
  }

  /**
   * A file whose bytes depend on `source` alone (a stored media id, a generated tone): `make` runs once, its
   * result is kept under a name derived from the source and reused whatever its age, and evicted like the
   * downloads.
   */
  async resolveMade(source: string, make: () => Promise<Buffer>): Promise<string> {
    const file = join(
      this.options.dir,
      createHash('sha256').update(source).digest('hex').slice(0, 32) + '.wav',
    );
    // Checked again every RECHECK_MS like a download: another worker sharing the directory may evict it.
    const downloadedAtMs = await this.downloadTime(file);
    if (downloadedAtMs !== undefined) {
      await this.markUsed(file, downloadedAtMs);
      return file;
    }
    return this.fetchOnce(file, make);
  }

  /** Concurrent plays of one uncached source share a single fetch. */
  private fetchOnce(file: string, fetchBody: () => Promise<Buffer>): Promise<string> {
    const running = this.inflight.get(file);
    if (running !== undefined) return running;
    const fetching = this.fetchInto(file, fetchBody).finally(() => this.inflight.delete(file));
    this.inflight.set(file, fetching);
    return fetching;
  }

  private async fetchInto(file: string, fetchBody: () => Promise<Buffer>): Promise<string> {
    await mkdir(this.options.dir, { recursive: true });
    const body = await fetchBody();
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
    const downloadedAtMs = await this.downloadTime(file);
    if (downloadedAtMs === undefined) return undefined;
    return this.now() - downloadedAtMs < this.options.maxAgeMs ? downloadedAtMs : undefined;
  }

  /**
   * The download time (mtime) of a file that is there, whatever its age: as this process last saw it within
   * RECHECK_MS, else from the file system.
   */
  private async downloadTime(file: string): Promise<number | undefined> {
    const now = this.now();
    const known = this.known.get(file);
    if (known && now - known.checkedAtMs < RECHECK_MS) return known.downloadedAtMs;
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) {
      this.known.delete(file);
      return undefined;
    }
    this.known.set(file, { downloadedAtMs: info.mtimeMs, checkedAtMs: now, usedAtMs: now, markedAtMs: 0 });
    return info.mtimeMs;
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

  /**
   * Downloads `url` within one deadline, following up to MAX_REDIRECTS redirects by hand so that each target
   * is checked like the first.
   */
  private async download(url: URL): Promise<Buffer> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let target = url;
    for (let redirects = 0; ; redirects++) {
      const response = await this.get(target, url, signal);
      const location = response.headers.location;
      if (
        response.statusCode !== undefined &&
        response.statusCode >= 300 &&
        response.statusCode < 400 &&
        location
      ) {
        response.resume();
        if (redirects === MAX_REDIRECTS)
          throw new UnavailableError(`media URL redirected more than ${MAX_REDIRECTS} times: ${url.href}`);
        target = new URL(location, target);
        continue;
      }
      return this.readBody(response, url, signal);
    }
  }

  /**
   * One GET of `target`: only http(s); the host is resolved here, every address checked against the URL
   * policy, and the connection goes to the address that was checked (the request's `lookup` returns it), so
   * a second DNS answer cannot swap in another address (DNS rebinding).
   */
  private async get(target: URL, asked: URL, signal: AbortSignal): Promise<IncomingMessage> {
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new ValidationError(`media URL must be http(s): ${target.href} (from ${asked.href})`);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const vetted = await this.vettedAddress(host, asked, signal);
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [vetted]);
      else callback(null, vetted.address, vetted.family);
    };
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    try {
      return await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(target, { method: 'GET', lookup, signal }, resolve);
        req.on('error', reject);
        req.end();
      });
    } catch (error) {
      throw this.transportError(error, asked);
    }
  }

  private async vettedAddress(
    host: string,
    asked: URL,
    signal: AbortSignal,
  ): Promise<{ address: string; family: number }> {
    let addresses: Array<{ address: string; family: number }>;
    try {
      addresses = await Promise.race([
        dnsLookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
          if (signal.aborted) reject(signal.reason as Error);
        }),
      ]);
    } catch (error) {
      throw this.transportError(error, asked);
    }
    // Every address must pass: a host that also resolves to a refused address is refused.
    for (const { address } of addresses) {
      const refused = refusalOf(host, address, this.options.allow);
      if (refused)
        throw new ValidationError(
          `media URL refused: ${host} is a ${refused} address (${address}); allow it with MEDIA_URL_ALLOW: ${asked.href}`,
        );
    }
    // IPv4 first, as servers that listen on one family mostly listen on IPv4.
    const first = [...addresses].sort((a, b) => a.family - b.family)[0];
    if (!first) throw new UnavailableError(`media URL host did not resolve: ${asked.href}`);
    return first;
  }

  private transportError(error: unknown, url: URL): Error {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      return new TimeoutError(`media URL did not answer within ${this.options.timeoutMs} ms: ${url.href}`);
    return new UnavailableError(`media URL unreachable: ${url.href}`, {}, { cause: error });
  }

  private async readBody(response: IncomingMessage, url: URL, signal: AbortSignal): Promise<Buffer> {
    const code = response.statusCode ?? 0;
    if (code === 404 || code === 410) {
      response.resume();
      throw new NotFoundError(`media URL not found (HTTP ${code}): ${url.href}`);
    }
    if (code < 200 || code >= 300) {
      response.resume();
      throw new UnavailableError(`media URL answered HTTP ${code}: ${url.href}`);
    }
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > this.options.maxBytes) {
      response.destroy();
      throw new ValidationError(`media URL larger than ${this.options.maxBytes} bytes: ${url.href}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response) {
        size += (chunk as Buffer).byteLength;
        if (size > this.options.maxBytes) {
          response.destroy();
          throw new ValidationError(`media URL larger than ${this.options.maxBytes} bytes: ${url.href}`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      throw signal.aborted ? this.transportError(signal.reason, url) : this.transportError(error, url);
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
