// What the recording service needs from the outside world. Adapters implement these (adapters/); tests use
// the same adapters against real peers (rtpengine through the media-worker, PostgreSQL, NATS, a filesystem
// or an S3-compatible server).

// The media-worker's forks: one home for every consumer of a party's RTP copy (@callctl/service).
import type { ForkedParty } from '@callctl/service';
export type { ForkedParty, ForkPort } from '@callctl/service';

/**
 * Where finished WAV files are kept: a directory (a volume in a cluster) or an S3-compatible bucket. Keys
 * are relative paths like `<recording id>/part-1.wav`.
 */
export interface RecordingStore {
  /** For logs and metadata: `fs` or `s3`. */
  readonly kind: 'fs' | 's3';
  /**
   * Stores the file at `localPath` under `key`, atomically: a reader sees the whole file or nothing (fs:
   * temporary name, fsync, rename; s3: one PutObject with its checksum). Overwrites the same key.
   */
  put(key: string, localPath: string): Promise<{ bytes: number }>;
  /** The stored bytes, in order. A key not stored is a NotFoundError. */
  read(key: string): AsyncIterable<Uint8Array>;
  /** Removes the key; a key not stored is fine. */
  delete(key: string): Promise<void>;
}

// ---- The recorder engine (app/part-recorder.ts implements it): one part of one recording ----

export type ChannelLayout = 'mono' | 'dual';
export type PauseMode = 'silence' | 'cut';

export interface PartSettings {
  readonly channels: ChannelLayout;
  readonly pauseMode: PauseMode;
  /** Stop by itself (`max_duration`) once the file holds this much audio; 0 = no limit. */
  readonly maxDurationMs: number;
  /** Segments: stop by itself (`silence`) after this much silence, which is cut from the file; 0 = never. */
  readonly silenceTimeoutMs: number;
  /** The file's timeline starts this long after `start` (a beep plays meanwhile). */
  readonly startDelayMs: number;
  /** The WAV written live (the spool); repairWav makes it valid after a crash. */
  readonly filePath: string;
  /** Start paused (a part that continues a paused recording after a restart). */
  readonly paused: boolean;
}

export type AutoStopReason = 'silence' | 'max_duration';

export interface PartPause {
  /** Where in the file (ms of audio before it). */
  readonly offsetMs: number;
  /** 0 while still paused. */
  readonly durationMs: number;
  /** Epoch ms. */
  readonly pausedAtMs: number;
  readonly resumedAtMs?: number;
}

export interface PartResult {
  readonly durationMs: number;
  /** Size of the closed WAV file. */
  readonly bytes: number;
  readonly sampleRate: 8000 | 16000;
  readonly channels: 1 | 2;
  readonly pauses: readonly PartPause[];
  /** Per party, in channel order: RTP packets received and declared lost by the jitter buffer. */
  readonly received: readonly number[];
  readonly lost: readonly number[];
}

export interface PartRecorderEvents {
  /** The recorder stopped taking audio by itself; the app then calls stop() to close the file. */
  onAutoStop(reason: AutoStopReason): void;
  /** No packet from any party for the engine's idle time (called again after each further idle time). */
  onIdle(): void;
}

export interface PartRecorder {
  /** The UDP ports, one per party in channel order, bound before any fork exists (StartFork needs them). */
  readonly ports: readonly number[];
  /** Opens the WAV and starts the timeline, with the codecs the forks arrive in (same order as ports). */
  start(forks: readonly ForkedParty[], settings: PartSettings, events: PartRecorderEvents): Promise<void>;
  pause(): void;
  resume(): void;
  /** Audio in the file so far, in ms. */
  readonly recordedMs: number;
  /** Stops taking audio, cuts `trimLastMs` from the end, closes (header, fsync) and closes the sockets. */
  stop(options?: { trimLastMs?: number }): Promise<PartResult>;
  /** Closes the sockets and the file without finishing anything (a start that failed). */
  abort(): Promise<void>;
}

export interface RecorderEngine {
  /** Binds one UDP socket per party on the engine's host. */
  open(partyCount: number): Promise<PartRecorder>;
  /** Stops the shared clock (service shutdown). */
  close(): Promise<void>;
}

// ---- Metadata (adapters/db implements it on PostgreSQL through Prisma) ----

export type RecordingKind = 'call' | 'segment';
export type RecordingStatus = 'recording' | 'paused' | 'saved' | 'failed';
export type StopReason =
  'requested' | 'call_ended' | 'max_duration' | 'silence' | 'terminator' | 'media_ended';

export interface RecordingParty {
  readonly legId: string;
  readonly sessionId: string;
  readonly tag: string;
}

export interface RecordingRecord {
  readonly recordingId: string;
  readonly callId: string;
  readonly kind: RecordingKind;
  /** Channel order. */
  readonly parties: readonly RecordingParty[];
  readonly channels: ChannelLayout;
  readonly pauseMode: PauseMode;
  readonly maxDurationMs: number;
  readonly silenceTimeoutMs: number;
  readonly startDelayMs: number;
  /** 0 until the first part's forks are known. */
  readonly sampleRate: number;
  readonly status: RecordingStatus;
  readonly stopReason?: StopReason;
  readonly failureReason?: string;
  /** The service instance that records it (restart recovery takes its own). */
  readonly owner: string;
  readonly startedAt: Date;
  readonly endedAt?: Date;
}

export interface PartRecord {
  readonly recordingId: string;
  /** 1, 2, ... */
  readonly part: number;
  /** Where the live WAV is written. */
  readonly spoolPath: string;
  /** Set once stored. */
  readonly storageKey?: string;
  readonly saved: boolean;
  readonly partial: boolean;
  readonly durationMs: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly startedAt: Date;
  readonly endedAt?: Date;
}

export interface PauseRecord {
  readonly recordingId: string;
  readonly part: number;
  readonly offsetMs: number;
  /** 0 while paused. */
  readonly durationMs: number;
  readonly pausedAt: Date;
  readonly resumedAt?: Date;
}

export interface RecordingWithParts {
  readonly recording: RecordingRecord;
  readonly parts: readonly PartRecord[];
  readonly pauses: readonly PauseRecord[];
}

export interface RecordingRepository {
  /** Creates the recording and its first part; one that exists already is left alone ('exists'). */
  create(recording: RecordingRecord, firstPart: PartRecord): Promise<'created' | 'exists'>;
  get(recordingId: string): Promise<RecordingWithParts | undefined>;
  /** Newest first. `callId` empty: every call. The token is opaque. */
  list(query: {
    callId?: string;
    pageSize: number;
    pageToken?: string;
  }): Promise<{ items: RecordingWithParts[]; nextPageToken: string }>;
  /** Recordings still recording or paused that `owner` holds (restart recovery). */
  unfinished(owner: string): Promise<RecordingWithParts[]>;
  update(
    recordingId: string,
    patch: Partial<
      Pick<RecordingRecord, 'status' | 'stopReason' | 'failureReason' | 'sampleRate' | 'endedAt' | 'owner'>
    >,
  ): Promise<void>;
  addPart(part: PartRecord): Promise<void>;
  updatePart(
    recordingId: string,
    part: number,
    patch: Partial<
      Pick<PartRecord, 'storageKey' | 'saved' | 'partial' | 'durationMs' | 'bytes' | 'sha256' | 'endedAt'>
    >,
  ): Promise<void>;
  /** Replaces the pauses of one part with these (the engine's list is the truth). */
  setPauses(recordingId: string, part: number, pauses: readonly PauseRecord[]): Promise<void>;
  /** Removes the recording, its parts and pauses; an unknown id is fine. */
  delete(recordingId: string): Promise<void>;
}
