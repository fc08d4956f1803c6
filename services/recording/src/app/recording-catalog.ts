// What was recorded: metadata, the bytes of a saved part, deletion. Reads the repository and the store.
import { IllegalStateError, NotFoundError, ValidationError } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { checkRecordingId } from './recording-request.js';
import type { RecordingRepository, RecordingStore, RecordingWithParts } from './ports.js';
import type { SpoolFiles } from './service-ports.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

const running = (found: RecordingWithParts) =>
  found.recording.status === 'recording' || found.recording.status === 'paused';

export class RecordingCatalog {
  constructor(
    private readonly deps: {
      repository: RecordingRepository;
      store: RecordingStore;
      spool: SpoolFiles;
      log: Logger;
    },
  ) {}

  async get(recordingId: string): Promise<RecordingWithParts> {
    checkRecordingId(recordingId);
    const found = await this.deps.repository.get(recordingId);
    if (!found) throw new NotFoundError(`no recording ${recordingId}`, { recordingId });
    return found;
  }

  list(callId: string, pageSize: number, pageToken: string) {
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE)
      throw new ValidationError(
        `page_size must be 1-${MAX_PAGE_SIZE} (0 for ${DEFAULT_PAGE_SIZE}), got ${pageSize}`,
      );
    return this.deps.repository.list({
      ...(callId ? { callId } : {}),
      pageSize: pageSize || DEFAULT_PAGE_SIZE,
      ...(pageToken ? { pageToken } : {}),
    });
  }

  /** The stored bytes of one saved part (0 = the first). */
  async download(recordingId: string, part: number): Promise<AsyncIterable<Uint8Array>> {
    const found = await this.get(recordingId);
    if (running(found))
      throw new IllegalStateError(`recording ${recordingId} is still running`, { recordingId });
    const number = part || 1;
    const stored = found.parts.find((p) => p.part === number);
    if (!stored?.saved || !stored.storageKey)
      throw new NotFoundError(`recording ${recordingId} has no saved part ${number}`, {
        recordingId,
        part: number,
      });
    return this.deps.store.read(stored.storageKey);
  }

  /** Files first, then metadata: a delete cut short is finished by the next one. Unknown ids are fine. */
  async delete(recordingId: string): Promise<void> {
    checkRecordingId(recordingId);
    const found = await this.deps.repository.get(recordingId);
    if (!found) return;
    if (running(found))
      throw new IllegalStateError(`recording ${recordingId} is still running; stop it first`, {
        recordingId,
      });
    for (const part of found.parts) {
      if (part.storageKey) await this.deps.store.delete(part.storageKey);
      // A part that failed to store left its spool file on the instance that recorded it.
      else await this.deps.spool.remove(part.spoolPath).catch(() => undefined);
    }
    await this.deps.repository.delete(recordingId);
    this.deps.log.info({ recordingId }, 'recording deleted');
  }
}
