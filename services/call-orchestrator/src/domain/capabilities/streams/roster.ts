// Who a stream carries and why that changed: pure functions of the call's state, which the app sends to
// the stream gateway (OpenStream's participants, UpdateStream's participants and reason) and which decide
// which streams end with a leg or the call. Participants are the answered legs of the conversation: parties
// ("caller" inbound, "callee" outbound) and three-way participants ("participant"); a supervisor listening
// in is never streamed. A leg stream carries its leg alone.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState, Leg } from '../../call.state';
import { isStreaming, type Stream } from './streams.state';

const { LegDirection, LegRole } = callEvents;

export type StreamRole = 'caller' | 'callee' | 'participant';

/** One participant as the gateway gets it (StreamParticipant): its channel is its leg id. */
export type StreamParticipant = {
  readonly legId: string;
  readonly role: StreamRole;
  readonly fromUri: string;
  readonly toUri: string;
  /** Where the leg's media is in rtpengine: the gateway forks it from there. */
  readonly media: callEvents.MediaParty;
  /** LegHeld without LegResumed. */
  readonly held: boolean;
};

/** Whether the leg can be streamed at all: a party or a three-way participant (never a supervisor). */
export const isStreamable = (l: Pick<Leg, 'role'>): boolean =>
  (l.role ?? LegRole.LEG_ROLE_PARTY) === LegRole.LEG_ROLE_PARTY || l.role === LegRole.LEG_ROLE_PARTICIPANT;

const roleOf = (l: Leg): StreamRole =>
  l.role === LegRole.LEG_ROLE_PARTICIPANT
    ? 'participant'
    : l.direction === LegDirection.LEG_DIRECTION_OUTBOUND
      ? 'callee'
      : 'caller';

const participantOf = (l: Leg): StreamParticipant => ({
  legId: l.legId,
  role: roleOf(l),
  fromUri: l.fromUri,
  toUri: l.toUri,
  media: { sessionId: l.media.sessionId, tag: l.media.tag },
  held: l.hold !== undefined,
});

/** The stream's participants now, in the order the legs were created (a leg stream: its leg, if answered). */
export function streamParticipants(s: CallState, stream: Pick<Stream, 'legId'>): StreamParticipant[] {
  if (s.status !== 'active') return [];
  return Object.values(s.legs)
    .filter((l) => l.status === 'answered' && isStreamable(l))
    .filter((l) => !stream.legId || l.legId === stream.legId)
    .map(participantOf);
}

/** The call's context in `start` and `metadata`: the call's From and To (its first party) and client state. */
export function streamContext(s: CallState, stream: Pick<Stream, 'clientState'>): Record<string, string> {
  if (s.status === 'none') return {};
  const first = Object.values(s.legs).find(isStreamable);
  return {
    callId: s.callId,
    from: first?.fromUri ?? '',
    to: first?.toUri ?? '',
    clientState: stream.clientState,
  };
}

/**
 * Why a decision's events change what a stream carries or says, the first that applies: a transfer, a
 * three-way participant, a monitor, a hold, a party answering or leaving, a bridge moving the media.
 */
const REASONS: ReadonlyArray<readonly [CallEvent['type'], string]> = [
  ['TransferCompleted', 'transfer'],
  ['LegMovedIn', 'transfer'],
  ['LegMovedOut', 'transfer'],
  ['ParticipantAdded', 'party-joined'],
  ['ParticipantRemoved', 'party-left'],
  ['MonitorStarted', 'monitor-joined'],
  ['MonitorEnded', 'monitor-left'],
  ['LegHeld', 'hold'],
  ['LegResumed', 'resume'],
  ['LegAnswered', 'party-joined'],
  ['LegEnded', 'party-left'],
  ['LegsBridged', 'bridged'],
];
/** Reasons that change the call's context even when the participants stay the same. */
const CONTEXT_REASONS: ReadonlySet<string> = new Set(['transfer', 'monitor-joined', 'monitor-left']);

export const rosterReason = (events: readonly CallEvent[]): string | undefined =>
  REASONS.find(([type]) => events.some((e) => e.type === type))?.[1];

export type RosterUpdate = { readonly participants: StreamParticipant[]; readonly reason: string };

/**
 * What to tell the gateway about a stream running before and after a decision: its new participants and
 * why, or nothing when the decision changes neither who it carries nor the call's context.
 */
export function rosterUpdate(
  before: CallState,
  after: CallState,
  events: readonly CallEvent[],
  stream: Stream,
): RosterUpdate | undefined {
  const reason = rosterReason(events);
  if (reason === undefined || !isStreaming(stream)) return undefined;
  const participants = streamParticipants(after, stream);
  const changed = JSON.stringify(participants) !== JSON.stringify(streamParticipants(before, stream));
  return changed || CONTEXT_REASONS.has(reason) ? { participants, reason } : undefined;
}

/**
 * The streams a decision ends with their leg or the call (CALL_ENDED): every running stream when the call
 * ends, a leg stream when its leg does. Nothing is recorded for them yet: the gateway is told to close them
 * and its StreamClosed fact records StreamStopped with the counters.
 */
export function streamsEndedBy(before: CallState, events: readonly CallEvent[]): Stream[] {
  if (before.status !== 'active') return [];
  const callEnds = events.some((e) => e.type === 'CallEnded');
  const legsEnded = new Set(events.flatMap((e) => (e.type === 'LegEnded' ? [e.data.legId] : [])));
  return Object.values(before.streams).filter(
    (st) => isStreaming(st) && (callEnds || (st.legId !== '' && legsEnded.has(st.legId))),
  );
}

/** The running streams of the call that carry the leg now (a digit pressed on it goes to them). */
export const streamsOfLeg = (s: CallState, legId: string): Stream[] =>
  s.status === 'none'
    ? []
    : Object.values(s.streams).filter(
        (st) => isStreaming(st) && streamParticipants(s, st).some((p) => p.legId === legId),
      );
