// One part of one recording (ports.ts PartRecorder): the parties' streams, read one 20 ms frame at a time
// on the shared RecorderClock, mixed (mono) or interleaved (dual) into the WAV.
//
// Timeline: frame n covers [start + n × 20 ms, start + (n + 1) × 20 ms) of wall-clock time, `start` being
// startDelayMs after start(). Each frame of the timeline becomes one frame of the file (paused frames: zeros
// with pauseMode `silence`, nothing with `cut`). Frames are read `playoutDelayMs` after their end, the time a
// late packet has to reach its place; stop() reads the rest at once, so the file covers the timeline up to
// the stop. Frames are written in batches of `writeBatchMs` (one write per recorder every 200 ms rather
// than 50): a crash loses at most that much, which repairWav cannot bring back.
import { IllegalStateError, ValidationError } from '@callctl/errors';
import { WavWriter, WAV_HEADER_BYTES, type FrameTick } from '@callctl/rtp';
import type { Logger } from '@callctl/logging';
import { addClipped, interleaveChannel } from '../domain/frame-mix.js';
import { PauseTimeline } from '../domain/pause-timeline.js';
import { SilenceDetector } from '../domain/silence-detector.js';
import type { PartyStream, PartyStreamTiming } from './party-stream.js';
import type {
  AutoStopReason,
  ForkedParty,
  PartPause,
  PartRecorder,
  PartRecorderEvents,
  PartResult,
  PartSettings,
} from './ports.js';
import { FRAME_MS, type ClockedRecorder, type RecorderClock } from './recorder-clock.js';

export interface PartRecorderOptions extends PartyStreamTiming {
  /** No packet from any party for this long → onIdle (and again after each further period). */
  idleMs: number;
  /** Frames gathered before one append to the file. */
  writeBatchMs: number;
  /** What a segment keeps after its last voiced frame when it stops on silence. */
  silenceTailMs: number;
  log?: Logger;
}

type State = 'opened' | 'starting' | 'running' | 'stopped';

interface Running {
  readonly settings: PartSettings;
  readonly events: PartRecorderEvents;
  readonly writer: WavWriter;
  readonly sampleRate: 8000 | 16000;
  readonly channels: 1 | 2;
  /** Samples per channel in a frame. */
  readonly frameSamples: number;
  /** Clock ms of the timeline's position 0. */
  readonly timelineStartMs: number;
  readonly pauses: PauseTimeline;
  readonly silence: SilenceDetector | undefined;
  /** Frames of maxDurationMs (rounded up; stop() trims to the exact length); 0 = no limit. */
  readonly maxFrames: number;
  readonly batch: Int16Array;
  readonly partyFrame: Int16Array;
}

export class EnginePartRecorder implements PartRecorder, ClockedRecorder {
  private state: State = 'opened';
  private run: Running | undefined;
  /** Still taking audio: false after an auto-stop, a failed write, or stop(). */
  private taking = false;
  /** The next timeline frame to read. */
  private nextFrame = 0;
  /** Frames in the file (written or batched). */
  private fileFrames = 0;
  private batchFrames = 0;
  /** File frames up to and including the last voiced one (segments). */
  private voicedFrames = 0;
  private autoStopped: AutoStopReason | undefined;
  private idleMark = 0;
  private failure: Error | undefined;
  private stopping: Promise<PartResult> | undefined;
  /** pause() or resume() called before start() (a PauseRecording while the forks were being set up). */
  private pausedBeforeStart: { paused: boolean; atMs: number } | undefined;

  constructor(
    private readonly parties: readonly PartyStream[],
    private readonly clock: RecorderClock,
    private readonly options: PartRecorderOptions,
    /** The engine forgets the recorder (it is stopped or aborted). */
    private readonly onClosed: (recorder: EnginePartRecorder) => void,
  ) {}

  get ports(): readonly number[] {
    return this.parties.map((party) => party.port);
  }

  get recordedMs(): number {
    return this.fileFrames * FRAME_MS;
  }

  /** The pauses so far, as the file will hold them (an open one lasts 0 ms). */
  get pauses(): readonly PartPause[] {
    return this.run?.pauses.pauses() ?? [];
  }

  /** Per party: packets dropped before start, of another payload type, realignments, dropped samples. */
  get partyStats(): readonly PartyStream['stats'][] {
    return this.parties.map((party) => party.stats);
  }

  async start(
    forks: readonly ForkedParty[],
    settings: PartSettings,
    events: PartRecorderEvents,
  ): Promise<void> {
    if (this.state !== 'opened')
      throw new IllegalStateError(`the part recorder is ${this.state}: start() is called once`, {
        state: this.state,
      });
    const ordered = this.forksInChannelOrder(forks);
    validateSettings(settings, this.parties.length);
    this.state = 'starting';
    const sampleRate = ordered.some((fork) => fork.codec === 'G722') ? 16000 : 8000;
    const channels = settings.channels === 'dual' ? 2 : 1;
    let writer: WavWriter;
    try {
      writer = await WavWriter.open(settings.filePath, { sampleRate, channels });
    } catch (error) {
      this.state = 'opened';
      throw error;
    }
    if (this.state !== 'starting') {
      await writer.close(); // aborted meanwhile
      throw new IllegalStateError('the part recorder was aborted while starting', {});
    }
    const now = this.clock.now();
    const timelineStartMs = now + settings.startDelayMs;
    const frameSamples = (sampleRate * FRAME_MS) / 1000;
    const batchFrames = Math.max(1, Math.round(this.options.writeBatchMs / FRAME_MS));
    this.parties.forEach((party, i) =>
      party.configure(ordered[i]!, sampleRate, timelineStartMs, this.options),
    );
    const pauses = new PauseTimeline(settings.pauseMode, FRAME_MS);
    // The latest pause() or resume() before start() wins over settings.paused.
    const early = this.pausedBeforeStart;
    if (early ? early.paused : settings.paused) pauses.pause(0, early?.atMs ?? Date.now());
    this.run = {
      settings,
      events,
      writer,
      sampleRate,
      channels,
      frameSamples,
      timelineStartMs,
      pauses,
      silence:
        settings.silenceTimeoutMs > 0 ? new SilenceDetector(settings.silenceTimeoutMs, FRAME_MS) : undefined,
      maxFrames: Math.ceil(settings.maxDurationMs / FRAME_MS),
      batch: new Int16Array(batchFrames * frameSamples * channels),
      partyFrame: new Int16Array(frameSamples),
    };
    this.idleMark = now;
    this.taking = true;
    this.state = 'running';
    this.clock.add(this);
  }

  pause(): void {
    const run = this.run;
    if (this.state === 'opened' || this.state === 'starting')
      this.pausedBeforeStart = { paused: true, atMs: Date.now() };
    if (!run || this.state !== 'running') return;
    run.pauses.pause(this.wallFrame(run), Date.now());
  }

  resume(): void {
    const run = this.run;
    if (this.state === 'opened' || this.state === 'starting')
      this.pausedBeforeStart = { paused: false, atMs: Date.now() };
    if (!run || this.state !== 'running') return;
    run.pauses.resume(this.wallFrame(run), Date.now());
  }

  onTick(tick: FrameTick, nowMs: number): void {
    const run = this.run;
    if (!run || this.state !== 'running') return;
    for (const party of this.parties) party.advance(nowMs);
    this.checkIdle(run, nowMs);
    if (!this.taking) return;
    const due = Math.floor((tick.dueAtMs - run.timelineStartMs - this.options.playoutDelayMs) / FRAME_MS);
    while (this.taking && this.nextFrame < due) this.produceFrame(run);
  }

  stop(options: { trimLastMs?: number } = {}): Promise<PartResult> {
    this.stopping ??= this.finish(options.trimLastMs ?? 0);
    return this.stopping;
  }

  async abort(): Promise<void> {
    if (this.state === 'stopped') {
      await this.stopping?.catch(() => undefined);
      return;
    }
    this.state = 'stopped';
    this.taking = false;
    this.clock.remove(this);
    this.onClosed(this);
    await Promise.all([
      this.run?.writer.close().catch(() => undefined),
      ...this.parties.map((party) => party.close()),
    ]);
  }

  /**
   * The part cannot go on (its clock tick threw): it takes no more audio and leaves the clock; stop() then
   * closes the file with what it holds and rejects with `error`.
   */
  fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
    this.taking = false;
    this.clock.remove(this);
  }

  private async finish(trimLastMs: number): Promise<PartResult> {
    const run = this.run;
    if (!run || this.state !== 'running') {
      await this.abort();
      throw new IllegalStateError(`stop() on a part recorder that is ${this.state}: there is no file`, {
        state: this.state,
      });
    }
    if (this.taking) {
      // The rest of the timeline up to now, without waiting for the playout delay.
      const nowMs = this.clock.now();
      for (const party of this.parties) party.drain(nowMs);
      const due = Math.floor((nowMs - run.timelineStartMs) / FRAME_MS);
      while (this.taking && this.nextFrame < due) this.produceFrame(run);
      this.taking = false;
    }
    this.state = 'stopped';
    this.clock.remove(this);
    this.onClosed(this);
    try {
      this.flush(run);
      const written = this.fileFrames * run.frameSamples;
      const keep = this.framesToKeep(run, written, trimLastMs);
      const blockAlign = run.channels * 2;
      if (keep < written && !this.failure) await run.writer.truncate(keep * blockAlign);
      await run.writer.close();
      // A write that failed made close() reject already; a tick that threw left a valid file, refused here.
      if (this.failure) throw this.failure;
      return {
        durationMs: (keep * 1000) / run.sampleRate,
        bytes: WAV_HEADER_BYTES + keep * blockAlign,
        sampleRate: run.sampleRate,
        channels: run.channels,
        pauses: run.pauses.pauses(this.nextFrame),
        received: this.parties.map((party) => party.received),
        lost: this.parties.map((party) => party.lost),
      };
    } finally {
      await run.writer.close().catch(() => undefined);
      await Promise.all(this.parties.map((party) => party.close()));
    }
  }

  /** Samples per channel the closed file keeps. */
  private framesToKeep(run: Running, written: number, trimLastMs: number): number {
    let keep = written - Math.round((trimLastMs * run.sampleRate) / 1000);
    if (this.autoStopped === 'silence') {
      // Up to the last voiced frame and a short tail; nothing at all when nobody spoke.
      const voiced = this.voicedFrames * run.frameSamples;
      keep = Math.min(
        keep,
        voiced === 0 ? 0 : voiced + Math.round((this.options.silenceTailMs * run.sampleRate) / 1000),
      );
    }
    if (run.settings.maxDurationMs > 0)
      keep = Math.min(keep, Math.round((run.settings.maxDurationMs * run.sampleRate) / 1000));
    return Math.max(0, Math.min(keep, written));
  }

  /** Reads timeline frame `nextFrame` from every party and puts it in the file (or skips it). */
  private produceFrame(run: Running): void {
    const frame = this.nextFrame++;
    const paused = run.pauses.isPaused(frame);
    const { frameSamples, channels, batch, partyFrame } = run;
    const width = frameSamples * channels;
    const offset = this.batchFrames * width;
    if (paused) {
      // The parties' audio of a paused frame is read and dropped: the ring moves with the timeline.
      for (const party of this.parties) party.read(partyFrame, 0, frameSamples);
      if (run.settings.pauseMode === 'cut') return;
      batch.fill(0, offset, offset + width);
    } else if (channels === 1) {
      batch.fill(0, offset, offset + width);
      for (const party of this.parties) {
        party.read(partyFrame, 0, frameSamples);
        addClipped(batch, offset, partyFrame, 0, frameSamples);
      }
    } else {
      batch.fill(0, offset, offset + width); // a dual part with one party leaves the right channel silent
      for (let channel = 0; channel < this.parties.length; channel++) {
        this.parties[channel]!.read(partyFrame, 0, frameSamples);
        interleaveChannel(batch, offset, channel, channels, partyFrame, 0, frameSamples);
      }
    }
    this.fileFrames++;
    this.batchFrames++;
    if (!paused && run.silence) {
      if (run.silence.push(batch, offset, width)) this.voicedFrames = this.fileFrames;
      else if (run.silence.timedOut) this.autoStop(run, 'silence');
    }
    if (this.batchFrames * width === batch.length) this.flush(run);
    if (run.maxFrames > 0 && this.fileFrames >= run.maxFrames) this.autoStop(run, 'max_duration');
  }

  /** Appends the batched frames (WavWriter copies them at once, so the batch is free again). */
  private flush(run: Running): void {
    if (this.batchFrames === 0) return;
    const samples = run.batch.subarray(0, this.batchFrames * run.frameSamples * run.channels);
    this.batchFrames = 0;
    if (this.failure) return;
    run.writer.append(samples).catch((error: unknown) => {
      if (this.failure) return;
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.taking = false;
      this.options.log?.error(
        { err: this.failure, filePath: run.settings.filePath },
        'recording write failed: the part takes no more audio',
      );
    });
  }

  private autoStop(run: Running, reason: AutoStopReason): void {
    if (this.autoStopped) return;
    this.autoStopped = reason;
    this.taking = false;
    this.flush(run);
    // After the tick, so that the service's handler never runs inside the shared clock's loop.
    queueMicrotask(() => this.notify(() => run.events.onAutoStop(reason)));
  }

  private checkIdle(run: Running, nowMs: number): void {
    for (const party of this.parties)
      if (party.lastPacketAtMs > this.idleMark) this.idleMark = party.lastPacketAtMs;
    if (nowMs - this.idleMark < this.options.idleMs) return;
    this.idleMark = nowMs;
    queueMicrotask(() => this.notify(() => run.events.onIdle()));
  }

  private notify(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.options.log?.error({ err: error }, 'a part recorder event handler threw');
    }
  }

  /** The timeline frame at the current time (0 before the timeline starts, never one already read). */
  private wallFrame(run: Running): number {
    const frame = Math.round((this.clock.now() - run.timelineStartMs) / FRAME_MS);
    return Math.max(this.nextFrame, frame);
  }

  private forksInChannelOrder(forks: readonly ForkedParty[]): ForkedParty[] {
    if (forks.length !== this.parties.length)
      throw new ValidationError(`${forks.length} forks for ${this.parties.length} parties`, {
        forks: forks.length,
        parties: this.parties.length,
      });
    return this.parties.map((party) => {
      const fork = forks.find((candidate) => candidate.sinkPort === party.port);
      if (!fork)
        throw new ValidationError(`no fork arrives on port ${party.port}`, {
          port: party.port,
          sinkPorts: forks.map((candidate) => candidate.sinkPort),
        });
      return fork;
    });
  }
}

function validateSettings(settings: PartSettings, parties: number): void {
  if (settings.channels === 'dual' && parties > 2)
    throw new ValidationError(`a dual-channel recording has at most 2 parties, not ${parties}`, { parties });
  for (const key of ['maxDurationMs', 'silenceTimeoutMs', 'startDelayMs'] as const)
    if (!(settings[key] >= 0) || !Number.isFinite(settings[key]))
      throw new ValidationError(`${key} must be a finite number ≥ 0, got ${settings[key]}`, {
        [key]: settings[key],
      });
  if (!settings.filePath) throw new ValidationError('filePath is empty', {});
}
