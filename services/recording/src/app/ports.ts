// What the recording service needs from the outside world. Adapters implement these (adapters/); tests use
// the same adapters against real peers (rtpengine through the media-worker, PostgreSQL, NATS, a filesystem
// or an S3-compatible server).

/** One party's fork as the media-worker set it up (proto callctl.media.v1.ForkedParty). */
export interface ForkedParty {
  readonly fromTag: string;
  /** The recorder's UDP port it arrives on. */
  readonly sinkPort: number;
  readonly payloadType: number;
  readonly codec: 'PCMU' | 'PCMA' | 'G722';
  /** RTP clock rate (8000, also for G722) and the audio's sample rate (16000 for G722). */
  readonly clockRate: number;
  readonly sampleRate: number;
  /** RFC 4733 payload type in the fork; 0 = none. */
  readonly telephoneEventPayloadType: number;
  readonly transcoded: boolean;
}

/** Forks of a session's parties, through the media-worker (StartFork / StopFork / Query). */
export interface ForkPort {
  /**
   * Copies of what `fromTags` send go to `sinkAddress`:`sinkPorts[i]`. The same `forkId` replaces the fork.
   * A session or party rtpengine does not know is a NotFoundError.
   */
  startFork(request: {
    callId: string;
    sessionId: string;
    forkId: string;
    fromTags: readonly string[];
    sinkAddress: string;
    sinkPorts: readonly number[];
    wideband: boolean;
  }): Promise<readonly ForkedParty[]>;
  /** A fork or session that no longer exists is fine. */
  stopFork(sessionId: string, forkId: string): Promise<void>;
  /** Whether rtpengine still has the session (a recorder that hears nothing asks before giving up). */
  sessionExists(sessionId: string): Promise<boolean>;
}

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
