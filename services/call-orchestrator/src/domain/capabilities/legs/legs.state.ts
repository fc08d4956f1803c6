// Legs' part of the call state: each leg's SIP progress, whether the call was ever answered, and its end.
import type { callEvents } from '@callctl/proto';
import type { Evolver } from '../capability';
import { withLeg } from '../capability';
import { roleOf } from './roles';
import type { LegOrigin } from '../../call.commands';

/**
 * Where a leg's media is, as LegInitiated says. Events recorded before sip-edge said so (and a dialled leg
 * before its LegInitiated) carry none: sip-edge then had the leg's media in the session named by the call
 * id, with the leg id as its tag. The one place that convention survives.
 */
export const legMedia = (
  callId: string,
  legId: string,
  media?: callEvents.MediaParty,
): callEvents.MediaParty =>
  media?.sessionId
    ? { sessionId: media.sessionId, tag: media.tag || legId }
    : { sessionId: callId, tag: legId };

const legInitiated: Evolver<'LegInitiated'> = (s, { data: d }) =>
  withLeg(s, {
    legId: d.legId,
    direction: d.direction,
    fromUri: d.fromUri,
    toUri: d.toUri,
    ringTimeoutMs: d.ringTimeoutMs,
    sipCallId: d.sipCallId,
    bridgeWithOnAnswer: s.legs[d.legId]?.bridgeWithOnAnswer,
    media: legMedia(s.callId, d.legId, d.media),
    status: 'initiated',
    ...roleOf(d.role ? d : s.legs[d.legId]),
    ...originOf(d),
  });

/** The trunk, user and routed_to a LegInitiated names (none for legs of calls without provisioning). */
export const originOf = (o: LegOrigin): LegOrigin => ({
  ...(o.trunk ? { trunk: o.trunk } : {}),
  ...(o.user ? { user: o.user } : {}),
  ...(o.routedTo ? { routedTo: o.routedTo } : {}),
});

const legAttemptFailed: Evolver<'LegAttemptFailed'> = (s, e) => {
  const leg = s.legs[e.data.legId];
  return leg ? withLeg(s, { ...leg, failedAttempts: Math.max(leg.failedAttempts ?? 0, e.data.attempt) }) : s;
};

const legRinging: Evolver<'LegRinging'> = (s, e) => {
  const leg = s.legs[e.data.legId];
  return leg ? withLeg(s, { ...leg, status: 'ringing', earlyMedia: e.data.earlyMedia }) : s;
};

const legAnswered: Evolver<'LegAnswered'> = (s, e) => {
  const leg = s.legs[e.data.legId];
  if (!leg) return s;
  // AnswerLeg may give the call a new client_state; the event carries the one in force from now on.
  const clientState = e.data.clientState || s.clientState;
  return { ...withLeg(s, { ...leg, status: 'answered', echo: false }), answered: true, clientState };
};

const legEnded: Evolver<'LegEnded'> = (s, e) => {
  const leg = s.legs[e.data.legId];
  return leg ? withLeg(s, { ...leg, status: 'ended', cause: e.data.cause, sipStatus: e.data.sipStatus }) : s;
};

const callEnded: Evolver<'CallEnded'> = (s, e) => ({ ...s, status: 'ended', cause: e.data.cause });

const maxDurationSet: Evolver<'CallMaxDurationSet'> = (s, e) => ({
  ...s,
  maxDurationMs: e.data.maxDurationMs,
});

export const legsEvolve = {
  CallMaxDurationSet: maxDurationSet,
  LegInitiated: legInitiated,
  LegRinging: legRinging,
  LegAnswered: legAnswered,
  LegEnded: legEnded,
  LegAttemptFailed: legAttemptFailed,
  CallEnded: callEnded,
};
