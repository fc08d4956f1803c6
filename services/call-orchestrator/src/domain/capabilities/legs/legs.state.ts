// Legs' part of the call state: each leg's SIP progress, whether the call was ever answered, and its end.
import type { Evolver } from '../capability';
import { withLeg } from '../capability';

const legInitiated: Evolver<'LegInitiated'> = (s, { data: d }) =>
  withLeg(s, {
    legId: d.legId,
    direction: d.direction,
    fromUri: d.fromUri,
    toUri: d.toUri,
    ringTimeoutMs: d.ringTimeoutMs,
    sipCallId: d.sipCallId,
    bridgeWithOnAnswer: s.legs[d.legId]?.bridgeWithOnAnswer,
    status: 'initiated',
  });

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

export const legsEvolve = {
  LegInitiated: legInitiated,
  LegRinging: legRinging,
  LegAnswered: legAnswered,
  LegEnded: legEnded,
  CallEnded: callEnded,
};
