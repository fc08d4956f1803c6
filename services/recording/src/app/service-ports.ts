// The service's own ports, beside the engine/storage/metadata ones of ports.ts (shared with the branches
// that build them): the spool files on the local disk and the facts on the bus.
import type { facts } from '@callctl/proto';
import type { PublishFact } from '@callctl/bus';

/** The live WAV files of this instance (RECORDING_SPOOL_DIR). */
export interface SpoolFiles {
  /** Where part `part` of the recording is written; its directory exists once this resolves. */
  prepare(recordingId: string, part: number): Promise<string>;
  /** SHA-256 of the file, lower-case hex, and its size. */
  digest(path: string): Promise<{ sha256: string; bytes: number }>;
  /**
   * Makes a WAV whose writer died valid again (libs/rtp repairWav). `partial` is false for a file that was
   * closed properly. Throws for a file that is missing or not a WAV the engine wrote.
   */
  repair(
    path: string,
  ): Promise<{ partial: boolean; durationMs: number; sampleRate: number; channels: number }>;
  /** Removes the file (and its directory once empty); a missing file is fine. */
  remove(path: string): Promise<void>;
}

/** Publishes one fact on CALLCTL_FACTS, retried until acknowledged or `signal` aborts / the adapter gives up. */
export type PublishRecordingFact = PublishFact<facts.RecordingFact>;
