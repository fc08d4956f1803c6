// The recording service's application layer: starts, pauses, resumes and stops recorders, stores their
// files and reports what happened as facts. I/O only through ports (ports.ts, service-ports.ts).
import {
  IllegalStateError,
  TimeoutError,
  NotFoundError,
  UnavailableError,
  isCallctlError,
  ERROR_KINDS,
} from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import {
  checkRecordingId,
  checkStartRecording,
  forkIdOf,
  partiesBySession,
  stoppedByItself,
  storageKeyOf,
  type StartRecording,
} from './recording-request.js';
import { partSavedFact, recorderFailedFact, recorderStoppedFact } from './recording-facts.js';
import type { RecordingFactReporting } from './fact-reporting.js';
import type {
  AutoStopReason,
  ForkedParty,
  ForkPort,
  PartPause,
  PartRecorder,
  PartResult,
  PauseRecord,
  RecorderEngine,
  RecordingRecord,
  RecordingRepository,
  RecordingStore,
  StopReason,
} from './ports.js';
import type { SpoolFiles } from './service-ports.js';

export interface RecordingsDeps {
  repository: RecordingRepository;
  engine: RecorderEngine;
  forks: ForkPort;
  store: RecordingStore;
  spool: SpoolFiles;
  facts: RecordingFactReporting;
  /** This instance's stable name: the owner of what it records (restart recovery takes its own). */
  instance: string;
  /** Where the forks are sent: the engine's sockets listen on this address (RECORDING_RTP_HOST). */
  sinkAddress: string;
  /** Attempts at storing a part (and at each metadata write of a stop) before the recording fails. */
  storeAttempts: number;
  /** Wait before the second attempt, growing linearly. */
  storeRetryDelayMs: number;
  /** Deadline of one put into the store; a put that takes longer counts as failed (and is retried). */
  storeTimeoutMs: number;
  now(): Date;
  log: Logger;
}

/** A recording this instance records now: one part, one recorder, one fork per media session. */
interface ActiveRecording {
  readonly record: RecordingRecord;
  readonly part: number;
  readonly spoolPath: string;
  readonly recorder: PartRecorder;
  readonly sessions: readonly string[];
  /** Saved audio of the earlier parts (a recording continued after a restart). */
  readonly priorDurationMs: number;
  pauses: PauseRecord[];
  paused: boolean;
  /** Set once a stop began: the recorder takes no more commands. */
  stopping?: Promise<void>;
}

export interface ContinueRecording {
  record: RecordingRecord;
  part: number;
  spoolPath: string;
  paused: boolean;
  priorDurationMs: number;
}

export class Recordings {
  private readonly active = new Map<string, ActiveRecording>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Stops whose files are being stored (close() waits for them). */
  private readonly finishing = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly deps: RecordingsDeps) {}

  /** StartRecorder. Idempotent on the recording id: one that exists (running or ended) is left alone. */
  async start(request: StartRecording): Promise<void> {
    checkStartRecording(request);
    const id = request.recordingId;
    if (this.closing) throw new UnavailableError('the recording service is shutting down');
    if (this.active.has(id)) return;
    const running = this.starting.get(id);
    if (running) return running.catch(() => undefined);
    const start = this.startNew(request);
    this.starting.set(id, start);
    try {
      await start;
    } finally {
      this.starting.delete(id);
    }
  }

  async pause(recordingId: string): Promise<void> {
    const active = await this.running(recordingId);
    if (active.paused) return;
    active.recorder.pause();
    active.paused = true;
    active.pauses.push({
      recordingId,
      part: active.part,
      offsetMs: Math.round(active.recorder.recordedMs),
      durationMs: 0,
      pausedAt: this.deps.now(),
    });
    await this.deps.repository.setPauses(recordingId, active.part, active.pauses);
    await this.deps.repository.update(recordingId, { status: 'paused' });
  }

  async resume(recordingId: string): Promise<void> {
    const active = await this.running(recordingId);
    if (!active.paused) return;
    active.recorder.resume();
    active.paused = false;
    const now = this.deps.now();
    active.pauses = active.pauses.map((pause) =>
      pause.resumedAt
        ? pause
        : { ...pause, resumedAt: now, durationMs: Math.max(0, now.getTime() - pause.pausedAt.getTime()) },
    );
    await this.deps.repository.setPauses(recordingId, active.part, active.pauses);
    await this.deps.repository.update(recordingId, { status: 'recording' });
  }

  /**
   * StopRecorder, and the recorder's own stops. Resolves once the recorder took its last audio and closed
   * its file; storing it and the facts follow in the background (RecordingPartSaved when stored). OK when
   * already stopped.
   */
  async stop(recordingId: string, reason: StopReason, trimLastMs = 0): Promise<void> {
    checkRecordingId(recordingId);
    await this.starting.get(recordingId)?.catch(() => undefined);
    const active = this.active.get(recordingId);
    if (active) {
      active.stopping ??= this.stopActive(active, reason, trimLastMs);
      return active.stopping;
    }
    if (!(await this.deps.repository.get(recordingId)))
      throw new NotFoundError(`no recording ${recordingId}`, { recordingId });
  }

  /** Whether this instance records it now, or is starting to. */
  holds(recordingId: string): boolean {
    return this.active.has(recordingId) || this.starting.has(recordingId);
  }

  /** Recordings this instance records now (restart recovery does not touch them). */
  isActive(recordingId: string): boolean {
    return this.active.has(recordingId);
  }

  /** Records the next part of a recording found unfinished at start (restart recovery). */
  async continueRecording(next: ContinueRecording): Promise<void> {
    await this.recordPart(next.record, next.part, next.spoolPath, {
      paused: next.paused,
      priorDurationMs: next.priorDurationMs,
      startDelayMs: 0,
    });
  }

  /**
   * Stores a closed part (spool file → store), with retries, and marks it saved. Returns its size and
   * digest. The spool file is removed once stored.
   */
  async storePart(
    recordingId: string,
    part: number,
    spoolPath: string,
    details: { partial: boolean; durationMs: number },
  ): Promise<{ bytes: number; sha256: string }> {
    const key = storageKeyOf(recordingId, part);
    const { sha256, bytes } = await this.deps.spool.digest(spoolPath);
    await this.retried(`store ${key}`, () =>
      withTimeout(this.deps.store.put(key, spoolPath), this.deps.storeTimeoutMs, `storing ${key}`),
    );
    await this.retried(`mark ${key} saved`, () =>
      this.deps.repository.updatePart(recordingId, part, {
        storageKey: key,
        saved: true,
        partial: details.partial,
        durationMs: Math.round(details.durationMs),
        bytes,
        sha256,
      }),
    );
    await this.deps.spool
      .remove(spoolPath)
      .catch((error: unknown) =>
        this.deps.log.warn({ recordingId, part, err: error }, 'spool file not removed'),
      );
    return { bytes, sha256 };
  }

  /** Marks the recording failed and reports RecorderFailed (best effort on the metadata). */
  async fail(record: RecordingRecord, reason: string): Promise<void> {
    this.deps.log.error(
      { recordingId: record.recordingId, callId: record.callId, reason },
      'recording failed',
    );
    await this.deps.repository
      .update(record.recordingId, { status: 'failed', failureReason: reason, endedAt: this.deps.now() })
      .catch((error: unknown) =>
        this.deps.log.error({ recordingId: record.recordingId, err: error }, 'failure not recorded'),
      );
    this.deps.facts.report(recorderFailedFact(this.factBase(record), reason));
  }

  /** Hands a fact to the bus (restart recovery reports through here too). */
  report(fact: Parameters<RecordingFactReporting['report']>[0]): void {
    this.deps.facts.report(fact);
  }

  factBase(record: RecordingRecord) {
    return {
      callId: record.callId,
      recordingId: record.recordingId,
      occurredAtMs: this.deps.now().getTime(),
    };
  }

  /**
   * Shutdown: every recorder closes its file, the forks stay (they live in rtpengine) and the metadata says
   * the recording is still running, so the next start of this instance stores what was written and goes
   * on in a new part, as after a crash but with a complete file. Stops in progress finish first.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.starting.values());
    const running = [...this.active.values()];
    await Promise.allSettled(
      running.map(async (active) => {
        if (active.stopping) return active.stopping;
        this.active.delete(active.record.recordingId);
        await active.recorder.stop();
      }),
    );
    await Promise.allSettled(this.finishing);
  }

  private async startNew(request: StartRecording): Promise<void> {
    const now = this.deps.now();
    const spoolPath = await this.deps.spool.prepare(request.recordingId, 1);
    const record: RecordingRecord = {
      recordingId: request.recordingId,
      callId: request.callId,
      kind: request.kind,
      parties: request.parties,
      channels: request.channels,
      pauseMode: request.pauseMode,
      maxDurationMs: request.maxDurationMs,
      silenceTimeoutMs: request.silenceTimeoutMs,
      startDelayMs: request.startDelayMs,
      sampleRate: 0,
      status: 'recording',
      owner: this.deps.instance,
      startedAt: now,
    };
    const created = await this.deps.repository.create(record, {
      recordingId: record.recordingId,
      part: 1,
      spoolPath,
      saved: false,
      partial: false,
      durationMs: 0,
      bytes: 0,
      sha256: '',
      startedAt: now,
    });
    if (created === 'exists') return;
    try {
      await this.recordPart(record, 1, spoolPath, {
        paused: false,
        priorDurationMs: 0,
        startDelayMs: request.startDelayMs,
      });
    } catch (error) {
      await this.fail(record, `could not start: ${messageOf(error)}`);
      throw startError(error);
    }
    this.deps.log.info(
      { recordingId: record.recordingId, callId: record.callId, parties: record.parties.length },
      'recording started',
    );
  }

  /** Opens the sockets, forks every party to them (one fork per media session) and starts writing. */
  private async recordPart(
    record: RecordingRecord,
    part: number,
    spoolPath: string,
    options: { paused: boolean; priorDurationMs: number; startDelayMs: number },
  ): Promise<void> {
    const { engine, forks, repository } = this.deps;
    const id = record.recordingId;
    const recorder = await engine.open(record.parties.length);
    const forkId = forkIdOf(id);
    const sessions = partiesBySession(record.parties);
    const forked: Array<ForkedParty | undefined> = new Array(record.parties.length);
    const started: string[] = [];
    try {
      await Promise.all(
        sessions.map(async ({ sessionId, members }) => {
          const sinkPorts = members.map((m) => recorder.ports[m.channel] as number);
          // Wideband: a G722 party passes through at 16 kHz and a wideband codec the recorder does not
          // decode is transcoded to G722, not to PCMU; PCMU and PCMA parties still pass through untouched.
          const parties = await forks.startFork({
            callId: record.callId,
            sessionId,
            forkId,
            fromTags: members.map((m) => m.party.tag),
            sinkAddress: this.deps.sinkAddress,
            sinkPorts,
            wideband: true,
          });
          started.push(sessionId);
          members.forEach((member, i) => {
            const fork =
              parties.find((p) => p.sinkPort === sinkPorts[i]) ??
              parties.find((p) => p.fromTag === member.party.tag);
            if (!fork)
              throw new UnavailableError(
                `the media-worker did not fork party ${member.party.tag} of ${sessionId}`,
              );
            forked[member.channel] = fork;
          });
        }),
      );
      const parties = forked as ForkedParty[];
      const sampleRate = Math.max(...parties.map((f) => f.sampleRate));
      if (record.sampleRate === 0) await repository.update(id, { sampleRate });
      const active: ActiveRecording = {
        record: { ...record, sampleRate: record.sampleRate || sampleRate },
        part,
        spoolPath,
        recorder,
        sessions: sessions.map((s) => s.sessionId),
        priorDurationMs: options.priorDurationMs,
        pauses: [],
        paused: options.paused,
      };
      this.active.set(id, active);
      await recorder.start(
        parties,
        {
          channels: record.channels,
          pauseMode: record.pauseMode,
          maxDurationMs: Math.max(0, record.maxDurationMs - options.priorDurationMs),
          silenceTimeoutMs: record.silenceTimeoutMs,
          startDelayMs: options.startDelayMs,
          filePath: spoolPath,
          paused: options.paused,
        },
        {
          onAutoStop: (reason: AutoStopReason) => this.stopInBackground(id, reason),
          onIdle: () => void this.checkMedia(active),
        },
      );
    } catch (error) {
      this.active.delete(id);
      await recorder
        .abort()
        .catch((e: unknown) => this.deps.log.warn({ recordingId: id, err: e }, 'abort failed'));
      await Promise.all(
        started.map((sessionId) =>
          forks
            .stopFork(sessionId, forkId)
            .catch((e: unknown) =>
              this.deps.log.warn({ recordingId: id, sessionId, err: e }, 'fork not stopped'),
            ),
        ),
      );
      throw error;
    }
  }

  private stopInBackground(recordingId: string, reason: StopReason): void {
    this.stop(recordingId, reason).catch((error: unknown) =>
      this.deps.log.error({ recordingId, reason, err: error }, 'stop failed'),
    );
  }

  /** Nothing heard for a while: is the media still there? A session rtpengine lost ends the recording. */
  private async checkMedia(active: ActiveRecording): Promise<void> {
    if (active.stopping) return;
    try {
      const exists = await Promise.all(active.sessions.map((s) => this.deps.forks.sessionExists(s)));
      if (exists.every(Boolean)) return;
      this.deps.log.info({ recordingId: active.record.recordingId }, 'media session gone, stopping');
      this.stopInBackground(active.record.recordingId, 'media_ended');
    } catch (error) {
      // The worker is down: it cannot tell; the next idle time asks again.
      this.deps.log.warn({ recordingId: active.record.recordingId, err: error }, 'media session not checked');
    }
  }

  private async running(recordingId: string): Promise<ActiveRecording> {
    checkRecordingId(recordingId);
    await this.starting.get(recordingId)?.catch(() => undefined);
    const active = this.active.get(recordingId);
    if (active && !active.stopping) return active;
    const found = await this.deps.repository.get(recordingId);
    if (!found) throw new NotFoundError(`no recording ${recordingId}`, { recordingId });
    throw new IllegalStateError(`recording ${recordingId} is stopped`, { recordingId });
  }

  /** Stops taking audio and closes the file; storing it goes on in the background. */
  private async stopActive(active: ActiveRecording, reason: StopReason, trimLastMs: number): Promise<void> {
    const { record } = active;
    const id = record.recordingId;
    const stopForks = Promise.all(
      active.sessions.map((sessionId) =>
        this.deps.forks
          .stopFork(sessionId, forkIdOf(id))
          .catch((error: unknown) =>
            this.deps.log.warn({ recordingId: id, sessionId, err: error }, 'fork not stopped'),
          ),
      ),
    );
    let result: PartResult;
    try {
      result = await active.recorder.stop({ trimLastMs });
    } catch (error) {
      this.active.delete(id);
      await stopForks;
      await this.fail(record, `the file could not be closed: ${messageOf(error)}`);
      return;
    }
    this.active.delete(id);
    if (stoppedByItself(reason)) this.deps.facts.report(recorderStoppedFact(this.factBase(record), reason));
    // The engine's own packet counts per party: how an operator (and the concurrency benchmark) tells
    // that a recorder lost audio, which the stored file cannot say.
    this.deps.log.info(
      {
        recordingId: id,
        reason,
        durationMs: result.durationMs,
        packetsReceived: result.received,
        packetsLost: result.lost,
      },
      'recording stopped',
    );
    const finishing = stopForks
      .then(() => this.finish(active, result, reason))
      .catch((error: unknown) => this.fail(record, `the file could not be stored: ${messageOf(error)}`));
    this.finishing.add(finishing);
    void finishing.finally(() => this.finishing.delete(finishing));
  }

  /** Metadata of the closed part, the file into the store, then RecordingPartSaved (final). */
  private async finish(active: ActiveRecording, result: PartResult, reason: StopReason): Promise<void> {
    const { record, part } = active;
    const id = record.recordingId;
    const endedAt = this.deps.now();
    await this.retried('record the stop', async () => {
      // The stop reason first: a restart that finds it knows the file was closed, not cut by a crash.
      await this.deps.repository.update(id, { stopReason: reason });
      await this.deps.repository.updatePart(id, part, {
        durationMs: Math.round(result.durationMs),
        bytes: result.bytes,
        endedAt,
      });
      // A part never paused has no pauses stored and none to store: one transaction less per recording.
      if (result.pauses.length > 0 || active.pauses.length > 0)
        await this.deps.repository.setPauses(id, part, pauseRecordsOf(id, part, result.pauses));
    });
    const stored = await this.storePart(id, part, active.spoolPath, {
      partial: false,
      durationMs: result.durationMs,
    });
    await this.retried('mark the recording saved', () =>
      this.deps.repository.update(id, { status: 'saved', endedAt }),
    );
    this.deps.facts.report(
      partSavedFact(this.factBase(record), {
        part,
        final: true,
        partial: false,
        durationMs: result.durationMs,
        channels: result.channels,
        sampleRateHz: result.sampleRate,
        bytes: stored.bytes,
        sha256: stored.sha256,
        totalDurationMs: active.priorDurationMs + result.durationMs,
      }),
    );
    this.deps.log.info(
      { recordingId: id, part, bytes: stored.bytes, store: this.deps.store.kind },
      'recording saved',
    );
  }

  private async retried<T>(what: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= this.deps.storeAttempts) throw error;
        this.deps.log.warn({ attempt, err: error }, `${what} failed, retrying`);
        await new Promise((resolve) => setTimeout(resolve, this.deps.storeRetryDelayMs * attempt));
      }
    }
  }
}

export function pauseRecordsOf(
  recordingId: string,
  part: number,
  pauses: readonly PartPause[],
): PauseRecord[] {
  return pauses.map((pause) => ({
    recordingId,
    part,
    offsetMs: Math.round(pause.offsetMs),
    durationMs: Math.round(pause.durationMs),
    pausedAt: new Date(pause.pausedAtMs),
    ...(pause.resumedAtMs !== undefined ? { resumedAt: new Date(pause.resumedAtMs) } : {}),
  }));
}

/**
 * What StartRecorder answers when the forks could not be made: a session or party rtpengine does not know
 * is the caller's state (FAILED_PRECONDITION); a worker that is down or slow is UNAVAILABLE.
 */
function startError(error: unknown): unknown {
  if (!isCallctlError(error)) return error;
  if (error.kind === ERROR_KINDS.notFound)
    return new IllegalStateError(`the media session is gone: ${error.message}`, {}, { cause: error });
  if (error.kind === ERROR_KINDS.deadlineExceeded)
    return new UnavailableError(`the media-worker did not answer: ${error.message}`, {}, { cause: error });
  return error;
}

/** The promise, or a TimeoutError after `ms` (the work itself goes on; a later put overwrites it). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
