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
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../domain/call.commands.js';
import type { Decision } from '../domain/call.decide.js';
import type { CallEvent } from '../domain/call.events.js';
import type { CallState } from '../domain/call.state.js';
import { isPeerError, PEER_ERROR_CODES } from './errors.js';
import type { MediaParty, MediaPort, SipEdgePort } from './ports.js';

/** @default 30000 (proto: ring_timeout_ms 0 = 30000) */
export const DEFAULT_RING_TIMEOUT_MS = 30_000;

/** What an action learnt that its events record (the bridge's media session): applied before the append. */
export type EventAmendment = (event: CallEvent) => CallEvent;

/** Where the leg's media is now (decide has checked the leg exists). */
function partyOf(state: CallState, legId: string): MediaParty {
  const leg = state.status === 'none' ? undefined : state.legs[legId];
  if (!leg) throw new Error(`no leg ${legId} to address media to`);
  return leg.media;
}

export class CommandEffects {
  constructor(
    private readonly sipEdge: SipEdgePort,
    private readonly media: MediaPort,
  ) {}

  /** `state`: the call the command was decided on. */
  async before(
    callId: string,
    command: CallCommand,
    decision: Decision,
    state: CallState,
  ): Promise<EventAmendment | void> {
    switch (command.type) {
      case 'AnswerLeg':
        return this.sipEdge.answerLeg(callId, command.data.legId);
      case 'RejectLeg':
        return this.sipEdge.rejectLeg(
          callId,
          command.data.legId,
          command.data.sipStatus || 603,
          command.data.reason,
        );
      case 'Hangup': {
        const reason = command.data.reason ?? 'hangup requested';
        const ended = decision.events.flatMap((e) => (e.type === 'LegEnded' ? [e.data.legId] : []));
        await Promise.all(ended.map((legId) => this.hangupLeg(callId, legId, reason)));
        return;
      }
      case 'PlayMedia':
        for (const e of decision.events)
          if (e.type === 'PlaybackStarted')
            await this.media.play({
              callId,
              party: partyOf(state, e.data.legId),
              source: e.data.mediaUri,
              repeat: e.data.repeat,
              playbackId: e.data.playbackId,
            });
        return;
      case 'StopMedia':
        for (const e of decision.events)
          if (e.type === 'PlaybackFinished') await this.media.stopPlay(partyOf(state, e.data.legId));
        return;
      case 'StartEcho':
        return this.media.startEcho(partyOf(state, command.data.legId));
      case 'StopEcho':
        return this.media.stopEcho(partyOf(state, command.data.legId));
      case 'BridgeLegs':
        // The media is joined (re-INVITEs through a new rtpengine session) before LegsBridged is recorded: a
        // bridge in the log always carries audio, and a refused re-INVITE records nothing. A crash between
        // the two loses nothing: sip-edge reports the joined legs as a fact under this bridge id and key.
        // LegsBridged records the session sip-edge put both legs' media in.
        for (const e of decision.events)
          if (e.type === 'LegsBridged') {
            const { mediaSessionId } = await this.sipEdge.bridgeLegs(callId, e.data.legAId, e.data.legBId, {
              bridgeId: e.data.bridgeId,
              idempotencyKey: e.data.idempotencyKey,
            });
            const bridgeId = e.data.bridgeId;
            return (event) =>
              event.type === 'LegsBridged' && event.data.bridgeId === bridgeId
                ? { ...event, data: { ...event.data, mediaSessionId } }
                : event;
          }
        return;
      default:
        // CollectDigits is recorded only (digits come as facts); Record* commands are facts.
        return;
    }
  }

  async after(callId: string, command: CallCommand, decision: Decision): Promise<void> {
    if (command.type !== 'CreateCall' && command.type !== 'Dial') return;
    for (const e of decision.events) {
      if (e.type === 'LegInitiated' || e.type === 'DialRequested')
        await this.sipEdge.placeCall({
          callId,
          legId: e.data.legId,
          toUri: e.data.toUri,
          fromUri: e.data.fromUri,
          ringTimeoutMs: e.data.ringTimeoutMs,
          bridgeWithLegId: e.type === 'DialRequested' ? e.data.bridgeWithLegId : '',
        });
    }
  }

  /** What to record when `after` failed: the leg whose INVITE could not be sent ends. */
  afterFailed(command: CallCommand, decision: Decision, error: unknown): CallCommand | undefined {
    const legId = decision.resultId;
    if ((command.type !== 'CreateCall' && command.type !== 'Dial') || !legId) return undefined;
    const refused =
      isPeerError(error, PEER_ERROR_CODES.validation) || isPeerError(error, PEER_ERROR_CODES.notFound);
    return {
      type: 'RecordLegEnded',
      data: {
        legId,
        sipStatus: 0,
        reason: `INVITE not sent: ${error instanceof Error ? error.message : String(error)}`,
        cause: refused
          ? callEvents.EndCause.END_CAUSE_UNREACHABLE
          : callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE,
      },
      metadata: command.metadata,
    };
  }

  /**
   * After `before` ran, decide may refuse on a retry because a fact recorded the outcome meanwhile (the
   * 200 OK sip-edge sent was reported before our append): that is success, not an error.
   */
  alreadyDone(command: CallCommand, state: CallState): boolean {
    if (state.status === 'none') return false;
    const leg = 'legId' in command.data && command.data.legId ? state.legs[command.data.legId] : undefined;
    if (command.type === 'AnswerLeg') return leg?.status === 'answered';
    if (command.type === 'RejectLeg') return leg?.status === 'ended';
    return false;
  }

  private async hangupLeg(callId: string, legId: string, reason: string): Promise<void> {
    try {
      await this.sipEdge.hangupLeg(callId, legId, reason);
    } catch (error) {
      if (!isPeerError(error, PEER_ERROR_CODES.notFound)) throw error; // sip-edge no longer holds it: ended
    }
  }
}
