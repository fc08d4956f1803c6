import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../domain/errors.js';

export interface UrlCacheOptions {
  /** Directory the downloads are kept in (created if missing). */
  dir: string;
  /** Deadline of one download. */
  timeoutMs: number;
  /** Largest file accepted, in bytes. */
  maxBytes: number;
}

/**
 * rtpengine plays files only, so an http(s) prompt is downloaded first and kept under a name derived from
 * its URL; a second play of the same URL reuses it. Local paths pass through unchanged.
 */
export class UrlCache {
  constructor(private readonly options: UrlCacheOptions) {}

  async resolve(source: string): Promise<string> {
    if (!/^https?:\/\//i.test(source)) {
      if (!source.startsWith('/'))
        throw new ValidationError(`media source must be an absolute path or http(s) URL: ${source}`);
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
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return file;
    await mkdir(this.options.dir, { recursive: true });
    const body = await this.download(url);
    const partial = `${file}.${process.pid}.part`;
    await writeFile(partial, body);
    await rename(partial, file).catch(async (error: unknown) => {
      await rm(partial, { force: true });
      throw error;
    });
    return file;
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
