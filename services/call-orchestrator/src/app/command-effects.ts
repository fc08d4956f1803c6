// The SIP and media actions that go with a command, and when they run relative to the append.
//
// Ordering (so that nothing is lost or done twice across a crash):
// - Actions on something that exists (answer, reject, hang up, play, stop, echo) run AFTER decide
//   accepted the command and BEFORE the append. A failed action records nothing and the caller gets the
//   peer's status (a missing media file is NOT_FOUND with an empty log). A crash between action and
//   append loses no truth: sip-edge reports what happened as facts (LegAnswered, LegEnded) and the
//   Record* commands record it; playback and collection ids derive from the idempotency key, so the
//   client's retry repeats the same action and appends once.
// - Placing an INVITE (CreateCall, Dial) runs AFTER the append: the leg's facts (OutboundLegSent, 180,
//   200) may arrive at once and must find the leg in the log. A crash between append and INVITE leaves an
//   initiated leg with no INVITE; its ring timeout (re-armed from the log on start) ends it as NO_ANSWER.
//   A failed INVITE ends the leg with PLATFORM_FAILURE (UNREACHABLE for a peer refusal) and the caller
//   gets the peer's status.
// - PostgreSQL away: the handler refuses an action before it runs when the log is known to be failing,
//   and once an action ran it appends its events again until the log takes them (handle-command.ts;
//   the per-command table is in the README, "When the event log (PostgreSQL) is away").
import type { CallCommand } from '../domain/call.commands.js';
import type { Decision } from '../domain/call.decide.js';
import type { CallState } from '../domain/call.state.js';
import type { MediaPort, MixerPort, RecorderPort, SipEdgePort } from './ports.js';
import type { StreamGatewayPort } from './ports.js';
import { PEER_ERROR_CODES, PeerError } from './errors.js';
import type { Logger } from '@callctl/logging';
import {
  effectsTable,
  type CapabilityEffects,
  type EffectPorts,
  type EventAmendment,
} from './capabilities/effects.js';

export type { EventAmendment } from './capabilities/effects.js';
import { legsEffects } from './capabilities/legs.effects.js';
import { mediaEffects } from './capabilities/media.effects.js';
import { bridgesEffects } from './capabilities/bridges.effects.js';
import { mediaLossEffects } from './capabilities/media-loss.effects.js';
import { digitsEffects } from './capabilities/digits.effects.js';
import { recordingsEffects } from './capabilities/recordings.effects.js';
import { siprecEffects } from './capabilities/siprec.effects.js';
import { SiprecWire } from './siprec-wire.js';
import { monitorsEffects } from './capabilities/monitors.effects.js';
import { transfersEffects } from './capabilities/transfers.effects.js';
import { holdsEffects } from './capabilities/holds.effects.js';
import { participantsEffects } from './capabilities/participants.effects.js';
import { streamsEffects, StreamWire, type RecordStreamLost } from './capabilities/streams.effects.js';
import { MonitorMedia } from './monitor-media.js';

/** @default 30000 (proto: ring_timeout_ms 0 = 30000) */
export const DEFAULT_RING_TIMEOUT_MS = 30_000;

/**
 * The capabilities that act outside the aggregate. A new capability with actions adds its effects here.
 */
export const CAPABILITY_EFFECTS: readonly CapabilityEffects[] = [
  legsEffects,
  mediaEffects,
  digitsEffects,
  bridgesEffects,
  mediaLossEffects,
  recordingsEffects,
  siprecEffects,
  monitorsEffects,
  transfersEffects,
  holdsEffects,
  participantsEffects,
  streamsEffects,
];

/** A process without a recording service: recording requests fail as UNAVAILABLE. */
const noRecorder: RecorderPort = {
  startRecorder: () => unavailable(),
  pauseRecorder: () => unavailable(),
  resumeRecorder: () => unavailable(),
  stopRecorder: () => unavailable(),
};
const unavailable = (): Promise<never> =>
  Promise.reject(new PeerError('recording', PEER_ERROR_CODES.unavailable, 'no recording service configured'));

export class CommandEffects {
  private readonly ports: EffectPorts;
  private readonly table = effectsTable(CAPABILITY_EFFECTS);
  /** Every capability's event-driven after-effect (EventsEffect), in the capabilities' order. */
  private readonly afterEvents = CAPABILITY_EFFECTS.flatMap((c) => (c.afterEvents ? [c.afterEvents] : []));

  /** The monitored calls' media (absent without a mixer): the orchestrator re-drives it after a restart. */
  readonly monitors?: MonitorMedia;
  /** The streams' gateway and background work (absent without a stream gateway). */
  readonly streams?: StreamWire;

  constructor(
    sipEdge: SipEdgePort,
    media: MediaPort,
    log?: Logger,
    recorder: RecorderPort = noRecorder,
    mixer?: MixerPort,
    streams?: { gateway: StreamGatewayPort; recordLost: RecordStreamLost },
  ) {
    if (streams) this.streams = new StreamWire(streams.gateway, streams.recordLost, log);
    if (mixer)
      this.monitors = new MonitorMedia({
        media,
        mixer,
        ...(log ? { log } : {}),
        ...(streams ? { streams: streams.gateway } : {}),
      });
    this.ports = {
      sipEdge,
      media,
      // Pause, resume and the ends of SIPREC (its start is the SIPREC driver's, with its own wire).
      siprec: new SiprecWire({ sipEdge, media, ...(log ? { log } : {}) }),
      recorder,
      ...(log ? { log } : {}),
      ...(this.monitors ? { monitors: this.monitors } : {}),
      ...(this.streams ? { streams: this.streams } : {}),
    };
  }

  /** `state`: the call the command was decided on. */
  async before(
    callId: string,
    command: CallCommand,
    decision: Decision,
    state: CallState,
  ): Promise<EventAmendment | void> {
    return this.table.get(command.type)?.before?.(this.ports, callId, command, decision, state);
  }

  /** Whether the command acts on the wire before its events are appended (a SIP or media action). */
  actsBeforeAppend(command: CallCommand): boolean {
    return this.table.get(command.type)?.before !== undefined;
  }

  /**
   * After the append: the command's own action, then what follows the decided events whatever the
   * command (EventsEffect: e.g. the recorder told that the call's end stopped its recording), also when
   * the command's own action failed. `state`: the call the command was decided on.
   */
  async after(callId: string, command: CallCommand, decision: Decision, state: CallState): Promise<void> {
    try {
      await this.table.get(command.type)?.after?.(this.ports, callId, command, decision, state);
    } finally {
      if (decision.events.length > 0)
        for (const effect of this.afterEvents) await effect(this.ports, callId, command, decision, state);
    }
  }

  /** What to record when `after` failed (the leg whose INVITE could not be sent ends). */
  afterFailed(command: CallCommand, decision: Decision, error: unknown): CallCommand | undefined {
    return this.table.get(command.type)?.afterFailed?.(command, decision, error);
  }

  /**
   * After `before` ran, decide may refuse on a retry because a fact recorded the outcome meanwhile (the
   * 200 OK sip-edge sent was reported before our append): that is success, not an error.
   */
  alreadyDone(command: CallCommand, state: CallState): boolean {
    if (state.status === 'none') return false;
    return this.table.get(command.type)?.alreadyDone?.(command, state) ?? false;
  }
}
