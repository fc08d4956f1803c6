import type { SipReason } from '@callctl/sip';
import type { facts } from '@callctl/proto';
import type { EndCause } from './end-cause.js';
import type { MediaParty } from './media-plan.js';

type Fact = NonNullable<facts.SipFact['fact']>;

/** The ids every fact about a leg carries; `factId` is new per fact (the JetStream de-duplication id). */
export interface FactIds {
  factId: string;
  callId: string;
  legId: string;
}

/** Unstamped: the publisher stamps each fact as it takes it (see stamped). */
function fact(ids: FactIds, body: Fact): facts.SipFact {
  return {
    factId: ids.factId,
    callId: ids.callId,
    legId: ids.legId,
    fact: body,
    sourceSequence: 0,
    occurredAtMs: 0,
  };
}

/**
 * The fact with its place among this sip-edge's facts of the call and the time it happened: the
 * orchestrator applies a call's facts in that order (facts.v1 source_sequence, occurred_at_ms).
 */
export function stamped(f: facts.SipFact, sourceSequence: number, occurredAtMs: number): facts.SipFact {
  return { ...f, sourceSequence, occurredAtMs };
}

export function inboundCallOffered(ids: FactIds, offered: facts.InboundCallOffered): facts.SipFact {
  return fact(ids, { $case: 'inboundCallOffered', inboundCallOffered: offered });
}

/**
 * The INVITE went out; `media`: where the media plan put the leg's media; `routed`: the trunk the dial plan
 * chose, or the platform user whose contacts are rung.
 */
export function outboundLegSent(
  ids: FactIds,
  sipCallId: string,
  media: MediaParty,
  routed: { trunk?: string; user?: string } = {},
): facts.SipFact {
  return fact(ids, {
    $case: 'outboundLegSent',
    outboundLegSent: { sipCallId, media: { ...media }, ...routed },
  });
}

/** An attempt through a trunk's gateway failed; `failover`: another gateway is tried next. */
export function outboundAttemptFailed(ids: FactIds, attempt: facts.OutboundAttemptFailed): facts.SipFact {
  return fact(ids, { $case: 'outboundAttemptFailed', outboundAttemptFailed: attempt });
}

export function legProgress(ids: FactIds, sipStatus: number, earlyMedia: boolean): facts.SipFact {
  return fact(ids, { $case: 'legProgress', legProgress: { sipStatus, earlyMedia } });
}

export function legAnswered(ids: FactIds): facts.SipFact {
  return fact(ids, { $case: 'legAnswered', legAnswered: {} });
}

/** `receivedReason`: the Reason header the far end sent with what ended the leg (RFC 3326), if any. */
export function legEnded(
  ids: FactIds,
  cause: EndCause,
  sipStatus: number,
  reason: string,
  receivedReason?: SipReason,
): facts.SipFact {
  return fact(ids, {
    $case: 'legEnded',
    legEnded: { cause, sipStatus, reason, ...(receivedReason ? { receivedReason } : {}) },
  });
}

export function dtmfInfoReceived(ids: FactIds, digit: string, durationMs: number): facts.SipFact {
  return fact(ids, { $case: 'dtmfInfoReceived', dtmfInfoReceived: { digit, durationMs } });
}

/**
 * BridgeLegs joined leg `ids.legId` with `otherLegId`, as the orchestrator's bridge `bridgeId`; both legs'
 * media is in `mediaSessionId` now.
 */
export function legsBridged(
  ids: FactIds,
  otherLegId: string,
  bridge: { bridgeId: string; idempotencyKey: string; mediaSessionId: string },
): facts.SipFact {
  return fact(ids, { $case: 'legsBridged', legsBridged: { otherLegId, ...bridge } });
}

/** The phone re-INVITEd holding the platform (`direction` sendonly or inactive), or resuming after that. */
export function legHoldChanged(ids: FactIds, held: boolean, direction: string): facts.SipFact {
  return fact(ids, { $case: 'legHoldChanged', legHoldChanged: { held, direction } });
}

/**
 * UnbridgeLegs took leg `ids.legId` (A) and `otherLegId` (B) apart: each one's media is alone in a session
 * of its own now.
 */
export function legsUnbridged(
  ids: FactIds,
  otherLegId: string,
  media: { a: MediaParty; b: MediaParty },
): facts.SipFact {
  return fact(ids, {
    $case: 'legsUnbridged',
    legsUnbridged: { otherLegId, mediaA: { ...media.a }, mediaB: { ...media.b } },
  });
}

/** The leg's phone sent a REFER that sip-edge accepted (202 and NOTIFY 100 Trying sent). */
export function referReceived(ids: FactIds, refer: facts.ReferReceived): facts.SipFact {
  return fact(ids, { $case: 'referReceived', referReceived: refer });
}

/** Progress of a REFER sip-edge sent: a NOTIFY's sipfrag, the REFER's refusal, or the timeout's 408. */
export function referProgress(ids: FactIds, progress: facts.ReferProgress): facts.SipFact {
  return fact(ids, { $case: 'referProgress', referProgress: progress });
}

/**
 * A SIPREC recording session ended without the orchestrator asking (the recorder's BYE: `sipStatus` 0, or
 * a re-INVITE answered 481/408). A session is no leg: `ids.legId` is empty.
 */
export function recordingSessionEnded(
  ids: FactIds,
  sessionId: string,
  sipStatus: number,
  reason: string,
): facts.SipFact {
  return fact(ids, {
    $case: 'recordingSessionEnded',
    recordingSessionEnded: { sessionId, sipStatus, reason },
  });
}
