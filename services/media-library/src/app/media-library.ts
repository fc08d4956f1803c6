// The library's use cases: upload (sniff, convert once, store), get, list, delete and the bytes for the
// media-worker. I/O comes in through the store and the audio tools; ids and time through functions.
import type { Logger } from '@callctl/logging';
import { sniffFormat } from '../domain/audio-format.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { parseMediaId } from '../domain/media-id.js';
import { decodePageToken, encodePageToken, pageSizeOf } from '../domain/page-token.js';
import { readPcmWav, storedRateFor } from '../domain/stored-audio.js';
import type { MediaFileInfo, MediaFileStore } from './media-files.js';

/** The converter the library needs (adapters/ffmpeg implements it). */
export interface AudioConverter {
  convert(
    source: Uint8Array,
    rateFor: (sourceRateHz: number) => number,
    signal: AbortSignal,
  ): Promise<{ probed: { formatName: string; sampleRateHz: number }; wav: Uint8Array }>;
}

export interface MediaLibraryDeps {
  store: MediaFileStore;
  converter: AudioConverter;
  newMediaId: () => string;
  now: () => Date;
  log: Logger;
}

export class MediaLibrary {
  constructor(private readonly deps: MediaLibraryDeps) {}

  /** Stores an upload whose name is checked and whose bytes are within the limit already. */
  async upload(name: string, bytes: Uint8Array, signal: AbortSignal): Promise<MediaFileInfo> {
    if (bytes.length === 0) throw new ValidationError('not audio: the upload is empty');
    const sniffed = sniffFormat(bytes);
    const { probed, wav } = await this.deps.converter.convert(bytes, storedRateFor, signal);
    const stored = readPcmWav(wav);
    if (stored.dataBytes < 2) throw new ValidationError('not audio: no samples could be decoded');
    const file: MediaFileInfo = {
      mediaId: this.deps.newMediaId(),
      name,
      uploadedFormat: sniffed ?? probed.formatName,
      uploadedBytes: bytes.length,
      durationMs: stored.durationMs,
      sampleRateHz: stored.sampleRateHz,
      // Milliseconds, like the page token: a row's key must survive the round trip through a token.
      createdAt: new Date(this.deps.now().getTime()),
    };
    // An upload abandoned during the conversion is not stored: the caller will never learn its id.
    signal.throwIfAborted();
    await this.deps.store.add(file, wav);
    this.deps.log.info(
      {
        mediaId: file.mediaId,
        format: file.uploadedFormat,
        bytes: file.uploadedBytes,
        durationMs: file.durationMs,
      },
      'media uploaded',
    );
    return file;
  }

  async get(mediaId: string): Promise<MediaFileInfo> {
    const id = parseMediaId(mediaId);
    const file = await this.deps.store.get(id);
    if (!file) throw new NotFoundError(`media not found: ${id}`, { mediaId: id });
    return file;
  }

  async list(pageSize: number, pageToken: string) {
    const page = await this.deps.store.list(pageSizeOf(pageSize), decodePageToken(pageToken));
    return { files: page.files, nextPageToken: page.next ? encodePageToken(page.next) : '' };
  }

  /** Deleting a deleted file is fine; an id never stored is NOT_FOUND. */
  async delete(mediaId: string): Promise<void> {
    const id = parseMediaId(mediaId);
    if ((await this.deps.store.delete(id, this.deps.now())) === 'unknown')
      throw new NotFoundError(`media not found: ${id}`, { mediaId: id });
    this.deps.log.info({ mediaId: id }, 'media deleted');
  }

  /** The stored WAV, for MediaStore.FetchMedia. */
  async content(mediaId: string): Promise<{ file: MediaFileInfo; wav: Uint8Array }> {
    const id = parseMediaId(mediaId);
    const found = await this.deps.store.content(id);
    if (!found) throw new NotFoundError(`media not found: ${id}`, { mediaId: id });
    return found;
  }
}
