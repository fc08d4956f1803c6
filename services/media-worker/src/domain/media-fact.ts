import { media, type facts } from '@callctl/proto';

/** A session the relay no longer has, as the worker knew it. */
export interface LostSession {
  sessionId: string;
  /** The tags the worker's requests named in it (leg ids, local tags). */
  tags: readonly string[];
  reason: string;
}

/**
 * The fact of a session that vanished from the relay, published under the session's call; it happened
 * when the check found it (`occurredAtMs`). Unstamped sequence, as in mediaFactOf.
 */
export function sessionLostFact(
  lost: LostSession,
  factId: string,
  callId: string,
  occurredAtMs: number,
): facts.MediaFact {
  return {
    factId,
    callId,
    sessionId: lost.sessionId,
    sourceSequence: 0,
    occurredAtMs,
    fact: {
      $case: 'mediaSessionLost',
      mediaSessionLost: { sessionId: lost.sessionId, tags: [...lost.tags], reason: lost.reason },
    },
  };
}

/** A route through a mixer the worker restored by itself because the mixer died. */
export interface LostMixerRoute {
  sessionId: string;
  tag: string;
  routeId: string;
}

/** The fact of a mixer route given back after its mixer died, published under the route's call. */
export function mixerLostFact(
  route: LostMixerRoute,
  factId: string,
  callId: string,
  occurredAtMs: number,
): facts.MediaFact {
  const { sessionId, tag, routeId } = route;
  return {
    factId,
    callId,
    sessionId,
    sourceSequence: 0,
    occurredAtMs,
    fact: { $case: 'mixerLost', mixerLost: { sessionId, tag, routeId } },
  };
}

/**
 * The fact the orchestrator must hear about a media event, or undefined when it has nothing to learn.
 * A stopped playback is not a fact: a StopPlay, Delete or new Play from the orchestrator stopped it, so
 * it already knows. DTMF tags are leg ids (sip-edge gives rtpengine the leg ids as from/to tags), so the
 * tag names the leg. The fact is published under `callId`, the call the requests named for the session the
 * event was seen on; that session is the fact's session_id.
 */
export function mediaFactOf(
  event: media.MediaEvent,
  factId: string,
  callId: string,
): facts.MediaFact | undefined {
  // Unstamped sequence: the reporter numbers the facts it publishes (a fact not made takes no number).
  const base = {
    factId,
    callId,
    sessionId: event.sessionId,
    sourceSequence: 0,
    occurredAtMs: event.occurredAtMs,
  };
  switch (event.fact?.$case) {
    case 'playbackFinished': {
      const { playbackId, reason } = event.fact.playbackFinished;
      if (reason === media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED) return undefined;
      return {
        ...base,
        fact: {
          $case: 'playbackFinished',
          playbackFinished: {
            playbackId,
            failed: reason === media.PlaybackEndReason.PLAYBACK_END_REASON_FAILED,
          },
        },
      };
    }
    case 'dtmfReceived': {
      const { tag, digit, durationMs, method } = event.fact.dtmfReceived;
      return {
        ...base,
        fact: { $case: 'dtmfDetected', dtmfDetected: { legId: tag, tag, digit, durationMs, method } },
      };
    }
    case undefined:
      return undefined;
    default: {
      const unknown: never = event.fact;
      return unknown;
    }
  }
}
