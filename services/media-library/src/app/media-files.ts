// What the library knows of a file, and the store it lives in (the port; adapters/db implements it).

export interface MediaFileInfo {
  mediaId: string;
  name: string;
  uploadedFormat: string;
  uploadedBytes: number;
  durationMs: number;
  sampleRateHz: number;
  createdAt: Date;
}

export interface MediaPage {
  files: MediaFileInfo[];
  /** The key after which the next page starts; undefined on the last page. */
  next?: { createdAtMs: number; mediaId: string };
}

export interface MediaFileStore {
  /** Stores a file's metadata and its converted WAV together (one transaction). */
  add(file: MediaFileInfo, wav: Uint8Array): Promise<void>;
  /** A file not deleted, or undefined. */
  get(mediaId: string): Promise<MediaFileInfo | undefined>;
  /** The converted WAV of a file not deleted, or undefined. */
  content(mediaId: string): Promise<{ file: MediaFileInfo; wav: Uint8Array } | undefined>;
  /** Files not deleted, newest first, after `after` (exclusive). */
  list(pageSize: number, after?: { createdAtMs: number; mediaId: string }): Promise<MediaPage>;
  /** 'deleted' (now or before), or 'unknown' for an id never stored. */
  delete(mediaId: string, at: Date): Promise<'deleted' | 'unknown'>;
}
