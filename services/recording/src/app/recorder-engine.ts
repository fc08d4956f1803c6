// The recorder engine of a recording service process (ports.ts RecorderEngine): binds each part's UDP
// sockets and runs every part recorder on one shared RecorderClock.
import { IllegalStateError, ValidationError } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { systemTimers, type ClockTimers } from '@callctl/rtp';
import { EnginePartRecorder, type PartRecorderOptions } from './part-recorder.js';
import { PartyStream } from './party-stream.js';
import type { RecorderEngine } from './ports.js';
import { RecorderClock, type RecorderClockStats } from './recorder-clock.js';

export interface RecorderEngineOptions {
  /** Where the fork sockets are bound (the address StartFork's sinkAddress names). Default 127.0.0.1. */
  host?: string;
  /** No packet from any party of a part for this long → its onIdle. Default 3000 ms. */
  idleMs?: number;
  /** How long a packet waits for a missing earlier one. Default 60 ms. */
  jitterDepthMs?: number;
  /**
   * How far behind the wall clock frames are read: how late a packet may be and still land in its place
   * (an event loop stalled longer leaves a gap). More than jitterDepthMs + one frame. Default 200 ms.
   * recordedMs lags the wall clock by this much; stop() writes the rest at once.
   */
  playoutDelayMs?: number;
  /**
   * How far ahead of the wall clock a party's audio may queue (a fast sender clock); beyond it the party is
   * placed by its packets' arrival again, and the queued audio in the way is dropped. Default 200 ms.
   */
  maxAheadMs?: number;
  /** Audio gathered per file append. Default 200 ms. */
  writeBatchMs?: number;
  /** What a segment that stopped on silence keeps after its last voiced frame. Default 100 ms. */
  silenceTailMs?: number;
  log?: Logger;
  /** The clock's time source (tests). Must be the clock RtpSocket stamps arrivals with: performance.now(). */
  timers?: ClockTimers;
}

export interface RecorderEngineHandle extends RecorderEngine {
  open(partyCount: number): Promise<EnginePartRecorder>;
  /** Part recorders opened and not yet stopped or aborted. */
  readonly openRecorders: number;
  /** Cost of the shared clock's ticks (ms per 20 ms frame, all recorders together). */
  readonly clockStats: RecorderClockStats;
}

export function createRecorderEngine(options: RecorderEngineOptions = {}): RecorderEngineHandle {
  const host = options.host ?? '127.0.0.1';
  const partOptions: PartRecorderOptions = {
    idleMs: options.idleMs ?? 3000,
    jitterDepthMs: options.jitterDepthMs ?? 60,
    playoutDelayMs: options.playoutDelayMs ?? 200,
    maxAheadMs: options.maxAheadMs ?? 200,
    writeBatchMs: options.writeBatchMs ?? 200,
    silenceTailMs: options.silenceTailMs ?? 100,
    log: options.log,
  };
  if (partOptions.playoutDelayMs < partOptions.jitterDepthMs + 20)
    throw new ValidationError('playoutDelayMs must exceed jitterDepthMs by a frame (20 ms) at least', {
      playoutDelayMs: partOptions.playoutDelayMs,
      jitterDepthMs: partOptions.jitterDepthMs,
    });
  const clock = new RecorderClock(options.timers ?? systemTimers, (recorder, error) => {
    options.log?.error({ err: error }, 'a part recorder failed in its clock tick: it takes no more audio');
    (recorder as EnginePartRecorder).fail(error);
  });
  const recorders = new Set<EnginePartRecorder>();
  let closed = false;

  return {
    get openRecorders() {
      return recorders.size;
    },
    get clockStats() {
      return clock.stats;
    },
    async open(partyCount) {
      if (closed) throw new IllegalStateError('the recorder engine is closed', {});
      if (!Number.isInteger(partyCount) || partyCount < 1)
        throw new ValidationError(`a part records 1 party or more, not ${partyCount}`, { partyCount });
      const parties: PartyStream[] = [];
      try {
        for (let i = 0; i < partyCount; i++) parties.push(await PartyStream.open(host));
      } catch (error) {
        await Promise.all(parties.map((party) => party.close()));
        throw error;
      }
      const recorder = new EnginePartRecorder(parties, clock, partOptions, (done) => recorders.delete(done));
      recorders.add(recorder);
      return recorder;
    },
    async close() {
      closed = true;
      clock.close();
      // Parts still open are abandoned: sockets closed, spool files closed as they are (a valid WAV up to the
      // last batch written), not trimmed, not reported.
      await Promise.all([...recorders].map((recorder) => recorder.abort()));
    },
  };
}
