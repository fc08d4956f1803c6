// Three-way calls: a participant dialled into a connected call (a leg of role PARTICIPANT, never bridged)
// and mixed into the conversation through the mixer, as a monitor's supervisor is (app/monitor-media.ts):
// FULL like a barging supervisor (everybody hears everybody), LISTEN like a listening one. Its answer adds
// it (ParticipantAdded); its leg's end removes it (ParticipantRemoved with why); the call's end removes
// every participant and hangs their legs up (registry.ts endLeg), and a participant never keeps the call up.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState, Leg } from '../../call.state';
import { active, replay, requestLeg, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import { chained, type DecideContext, type LegEnd } from '../capability';
import { dialTarget, platformFrom } from '../legs/dial-target';
import { partyLegs } from '../legs/roles';
import {
  isParticipant,
  participantFingerprint,
  participantModeOf,
  type Participant,
} from './participants.state';

const { EndCause, ParticipantRemovedReason: Reason } = callEvents;
const none: Decision = { events: [] };
const MODES: ReadonlySet<number> = new Set([
  callEvents.ParticipantMode.PARTICIPANT_MODE_UNSPECIFIED,
  callEvents.ParticipantMode.PARTICIPANT_MODE_FULL,
  callEvents.ParticipantMode.PARTICIPANT_MODE_LISTEN,
]);

export const addParticipant = (s: Active, c: Cmd<'AddParticipant'>): Decision => {
  const d = c.data;
  if (!MODES.has(d.mode))
    throw new ValidationError(`mode ${d.mode} is not a participant mode`, { callId: s.callId });
  const fromUri = d.fromUri || platformFrom(s);
  const toUri = dialTarget(d.target, fromUri, s.callId, 'target');
  const mode = participantModeOf(d.mode);
  // A retry is answered from its key before the checks of the moment (the parties may have left since).
  const again = replay(
    s,
    c.metadata.idempotencyKey,
    participantFingerprint({ toUri, mode, fromUri, ringTimeoutMs: d.ringTimeoutMs }),
  );
  if (again) return again;
  if (!partyLegs(s).some((l) => l.status === 'answered'))
    throw new IllegalStateError(`call ${s.callId} has no answered party: there is no conversation to join`, {
      callId: s.callId,
    });
  const participantId = c.metadata.newId;
  const dialled = requestLeg(
    {
      callId: s.callId,
      legId: d.participantLegId,
      bridgeWithLegId: '',
      toUri,
      fromUri,
      ringTimeoutMs: d.ringTimeoutMs,
      clientState: s.clientState,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
      headers: {},
      role: callEvents.LegRole.LEG_ROLE_PARTICIPANT,
      participantId,
      participantMode: mode,
    },
    c.metadata.now,
  );
  return { events: [dialled.event], resultId: participantId, deadlines: dialled.deadlines };
};

function participantOf(s: Active, participantId: string): Participant {
  const p = s.participants[participantId];
  if (!p)
    throw new NotFoundError(`participant ${participantId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  return p;
}

const removed = (
  s: Active,
  p: Participant,
  reason: callEvents.ParticipantRemovedReason,
  sipStatus = 0,
): CallEvent => ({
  type: 'ParticipantRemoved',
  data: {
    callId: s.callId,
    participantId: p.participantId,
    legId: p.legId,
    reason,
    sipStatus,
    clientState: s.clientState,
  },
});

/** ParticipantRemoved, then the end of its leg if it is still up (hung up by the platform). */
function removeParticipant(
  s: Active,
  p: Participant,
  reason: callEvents.ParticipantRemovedReason,
  why: string,
  ctx: DecideContext,
): CallEvent[] {
  const out = removed(s, p, reason);
  const l = s.legs[p.legId];
  if (!l || l.status === 'ended') return [out];
  const after = ctx.evolve(s, out) as Active;
  return [out, ...ctx.endLeg(after, after.legs[l.legId]!, EndCause.END_CAUSE_LOCAL_HANGUP, 0, why)];
}

/** RemoveParticipant: removing a removed participant (also on an ended call) is OK; an unknown one NOT_FOUND. */
export const removeParticipantOf = (
  state: CallState,
  c: Cmd<'RemoveParticipant'>,
  ctx: DecideContext,
): Decision => {
  if (state.status === 'ended') {
    participantOf(state as unknown as Active, c.data.participantId);
    return none;
  }
  const s = active(state);
  const p = participantOf(s, c.data.participantId);
  if (p.status === 'removed') return none;
  return {
    events: removeParticipant(s, p, Reason.PARTICIPANT_REMOVED_REASON_REMOVED, 'participant removed', ctx),
  };
};

/** The mixer holding the call's room died (the parties' direct path was restored): every participant goes. */
export const participantsMixerLost = (s: Active, ctx: DecideContext): CallEvent[] =>
  chained(
    s,
    Object.values(s.participants).filter((p) => p.status !== 'removed'),
    (at, p) => removeParticipant(at, p, Reason.PARTICIPANT_REMOVED_REASON_MIXER_FAILED, 'mixer lost', ctx),
    ctx,
  );

/** A participant's answer adds it: it hears the call (the mixer follows, app/monitor-media.ts). */
export function onLegAnswered(s: Active, legId: string): Decision {
  const l = s.legs[legId];
  if (!isParticipant(l)) return none;
  const p = s.participants[l?.participantId ?? ''];
  if (p?.status !== 'dialling') return none;
  const added: CallEvent = {
    type: 'ParticipantAdded',
    data: {
      callId: s.callId,
      participantId: p.participantId,
      legId: p.legId,
      mode: p.mode,
      targetUri: p.targetUri,
      clientState: s.clientState,
      idempotencyKey: p.idempotencyKey,
    },
  };
  return { events: [added] };
}

/** Why a participant went, from how its leg ended. */
export function removedReasonOf(p: Participant, end: LegEnd): callEvents.ParticipantRemovedReason {
  if (p.status === 'dialling') return Reason.PARTICIPANT_REMOVED_REASON_FAILED;
  if (end.cause === EndCause.END_CAUSE_LOCAL_HANGUP) return Reason.PARTICIPANT_REMOVED_REASON_REMOVED;
  return Reason.PARTICIPANT_REMOVED_REASON_HANGUP;
}

/** A participant's leg that ends removes it (with the leg's SIP status); a party's end removes none. */
export function onLegEnded(s: Active, l: Leg, end: LegEnd): CallEvent[] {
  if (!isParticipant(l)) return [];
  const p = s.participants[l.participantId ?? ''];
  if (!p || p.status === 'removed') return [];
  return [removed(s, p, removedReasonOf(p, end), end.sipStatus)];
}

/** The call ends: every participant is removed with it (its leg is hung up next, registry.ts). */
export const onCallEnded = (s: Active): CallEvent[] =>
  Object.values(s.participants)
    .filter((p) => p.status !== 'removed')
    .map((p) => removed(s, p, Reason.PARTICIPANT_REMOVED_REASON_CALL_ENDED));
