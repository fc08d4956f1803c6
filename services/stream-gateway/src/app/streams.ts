// The streams this instance holds and the one clock that ticks them all (a single drift-free 20 ms
// MediaClock for the process, as the mixer's: hundreds of per-stream timers would fire out of phase and
// cost a wake-up each). The clock runs only while a stream is held, so an idle process has no timer.
// Commands are idempotent where the API says so; an ended stream is remembered (a bounded set) so a repeated
// OpenStream or CloseStream of it is OK and changes nothing.
import { callEvents } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { MediaClock, systemTimers, type ClockTimers, type OpenRtpSocket } from '@callctl/rtp';
import type { ForkPort } from '@callctl/service';
import { StreamLimitError, StreamNotFoundError } from '../domain/errors.js';
import type { Participant, StreamSpec } from '../domain/stream-spec.js';
import type { ConnectEndpoint, StreamFactSink } from './ports.js';
import { FRAME_MS, Stream, type StreamSettings } from './stream.js';

/** Ended stream ids remembered for idempotent repeats. */
const ENDED_MEMORY = 10_000;

export interface StreamsOptions extends StreamSettings {
  maxStreams: number;
  /**
   * A stream none of whose forks brought a packet for this long asks the media-worker whether its media
   * sessions still exist (and asks again each such time); when none does, the call is gone and the stream
   * is closed as call-ended. This is how a stream ends whose close never came (the orchestrator crashed
   * between recording the call's end and telling the gateway). A held call is silent too, hence the
   * question rather than a timeout. 0: never.
   */
  idleMs: number;
  forks: ForkPort;
  openRtpSocket: OpenRtpSocket;
  connect: ConnectEndpoint;
  facts: StreamFactSink;
  log: Logger;
  timers?: ClockTimers;
}

export const CLOSE_TEXT: Readonly<Record<number, string>> = {
  [callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED]: 'stopped-by-api',
  [callEvents.StreamStopReason.STREAM_STOP_REASON_CALL_ENDED]: 'call-ended',
};

export class Streams {
  private readonly streams = new Map<string, Stream>();
  /** Streams being opened (forks being made): a repeated OpenStream waits for the first. */
  private readonly opening = new Map<string, Promise<void>>();
  private readonly ended = new Set<string>();
  private readonly clock: MediaClock;
  private readonly timers: ClockTimers;
  private running = false;
  private sweep: NodeJS.Timeout | undefined;
  /** The clock's work: ticks, the last and the most one took (ms). */
  readonly clockStats = { ticks: 0, lastTickMs: 0, maxTickMs: 0, lateTicks: 0 };

  constructor(private readonly options: StreamsOptions) {
    this.timers = options.timers ?? systemTimers;
    this.clock = new MediaClock(
      (tick) => {
        const started = this.timers.now();
        if (tick.lateByMs >= FRAME_MS) this.clockStats.lateTicks++;
        for (const stream of this.streams.values()) {
          try {
            stream.tick(started);
          } catch (error) {
            // A bug in one stream must not stop the clock of the others.
            options.log.error({ err: error, streamId: stream.streamId }, 'stream tick failed');
          }
        }
        const spent = this.timers.now() - started;
        this.clockStats.ticks++;
        this.clockStats.lastTickMs = spent;
        if (spent > this.clockStats.maxTickMs) this.clockStats.maxTickMs = spent;
      },
      FRAME_MS,
      this.timers,
    );
  }

  get size(): number {
    return this.streams.size;
  }

  get(streamId: string): Stream | undefined {
    return this.streams.get(streamId);
  }

  async open(spec: StreamSpec, participants: readonly Participant[]): Promise<void> {
    if (this.streams.has(spec.streamId) || this.ended.has(spec.streamId)) return;
    const pending = this.opening.get(spec.streamId);
    if (pending) return pending;
    if (this.streams.size + this.opening.size >= this.options.maxStreams)
      throw new StreamLimitError(this.options.maxStreams);
    const opening = this.openNew(spec, participants).finally(() => this.opening.delete(spec.streamId));
    this.opening.set(spec.streamId, opening);
    return opening;
  }

  private async openNew(spec: StreamSpec, participants: readonly Participant[]): Promise<void> {
    const stream = new Stream(spec, this.options, {
      forks: this.options.forks,
      openRtpSocket: this.options.openRtpSocket,
      connect: this.options.connect,
      facts: this.options.facts,
      now: () => this.timers.now(),
      log: this.options.log,
      onEnded: (ended) => this.forget(ended),
    });
    stream.setContext(spec.context);
    await stream.openForks(participants);
    this.streams.set(spec.streamId, stream);
    if (!this.running) {
      this.running = true;
      this.clock.start();
    }
    stream.start();
    if (!this.sweep && this.options.idleMs > 0) {
      this.sweep = setInterval(() => void this.endOrphans(), this.options.idleMs);
      this.sweep.unref();
    }
  }

  /** Closes the silent streams whose media sessions are all gone (StreamsOptions.idleMs). */
  async endOrphans(): Promise<void> {
    const now = this.timers.now();
    const silent = [...this.streams.values()].filter(
      (stream) => !stream.isEnded && stream.silentForMs(now) >= this.options.idleMs,
    );
    await Promise.all(
      silent.map(async (stream) => {
        try {
          const sessions = stream.mediaSessions();
          const exists = await Promise.all(sessions.map((s) => this.options.forks.sessionExists(s)));
          if (exists.some(Boolean) || stream.isEnded) return;
          this.options.log.warn(
            { streamId: stream.streamId, callId: stream.spec.callId, sessions },
            'the media sessions of a silent stream are gone: closing it as call-ended',
          );
          await stream.close(callEvents.StreamStopReason.STREAM_STOP_REASON_CALL_ENDED, 'call-ended');
        } catch (error) {
          // The media-worker unreachable: asked again at the next sweep.
          this.options.log.warn({ err: error, streamId: stream.streamId }, 'could not check a silent stream');
        }
      }),
    );
  }

  /** The stream, or NOT_FOUND; `endedOk`: undefined for an ended stream (the command is then a no-op). */
  require(streamId: string, endedOk: true): Stream | undefined;
  require(streamId: string, endedOk?: false): Stream;
  require(streamId: string, endedOk = false): Stream | undefined {
    const stream = this.streams.get(streamId);
    if (stream && !stream.isEnded) return stream;
    if ((stream || this.ended.has(streamId)) && endedOk) return undefined;
    throw new StreamNotFoundError(
      stream || this.ended.has(streamId) ? `stream ${streamId} has ended` : `no stream ${streamId} here`,
      { streamId },
    );
  }

  holds(streamId: string): boolean {
    const stream = this.streams.get(streamId);
    return stream !== undefined && !stream.isEnded;
  }

  async close(streamId: string, reason: callEvents.StreamStopReason): Promise<void> {
    const stream = this.streams.get(streamId);
    if (!stream) {
      if (this.ended.has(streamId)) return;
      throw new StreamNotFoundError(`no stream ${streamId} here`, { streamId });
    }
    await stream.close(reason, CLOSE_TEXT[reason] ?? 'stopped-by-api');
  }

  /** SIGTERM: every stream ends with "error: stream gateway shutting down" (the call goes on). */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.streams.values()].map((stream) =>
        stream.close(
          callEvents.StreamStopReason.STREAM_STOP_REASON_GATEWAY_LOST,
          'error: stream gateway shutting down',
        ),
      ),
    );
    this.stopClock();
  }

  private forget(stream: Stream): void {
    if (this.streams.get(stream.streamId) === stream) this.streams.delete(stream.streamId);
    this.ended.add(stream.streamId);
    if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.values().next().value!);
    if (this.streams.size === 0) this.stopClock();
  }

  private stopClock(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
    if (!this.running) return;
    this.running = false;
    this.clock.stop();
  }
}
