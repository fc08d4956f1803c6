// Who hears whom in a call's mixer room: a pure function of its members' modes and the parties (contract
// of issue 15). Members are the legs dialled into the call to listen or take part: monitors' supervisors
// and three-way participants (issue 16), each heard as a monitor mode (a FULL participant barges, a
// LISTEN one listens). Participant ids in the room are the orchestrator's: `sup-<monitorId>` (a
// supervisor's leg, sendrecv), `par-<participantId>` (a three-way participant's leg, sendrecv),
// `fork-<legId>` (a copy of what a party says, recvonly: listening never touches the parties' path) and
// `in-<legId>` (the party itself routed through the mixer, only while some member whispers or barges, or a
// bot speaks) and `bot-<streamId>` (what a bidirectional stream's endpoint sends back, recvonly: the mixer
// only receives it from the stream gateway; issue 18).
import { callEvents } from '@callctl/proto';
import type { CallState } from '../../call.state';
import { isStreaming } from '../streams/streams.state';

const { MonitorMode, ParticipantMode } = callEvents;

export const supParticipant = (monitorId: string) => `sup-${monitorId}`;
export const parParticipant = (participantId: string) => `par-${participantId}`;
export const forkParticipant = (legId: string) => `fork-${legId}`;
export const inParticipant = (legId: string) => `in-${legId}`;
export const botParticipant = (streamId: string) => `bot-${streamId}`;

/** A member of the room who hears the call now (a started monitor, an added participant). */
export type HeardMember = {
  /** Its participant id in the room (sup-*, par-*). */
  readonly participantId: string;
  /** Its leg, answered. */
  readonly legId: string;
  readonly mode: callEvents.MonitorMode;
  readonly whisperLegId: string;
};

/** A running bidirectional stream: its endpoint speaks into the call (a voice bot). */
export type BotMember = {
  /** bot-<streamId>. */
  readonly participantId: string;
  readonly streamId: string;
  /** The streamed leg, which alone hears the bot; '' (a call stream): every party hears it. */
  readonly legId: string;
};

export type HearingRow = { readonly listenerId: string; readonly sourceIds: readonly string[] };

export type Hearing = {
  /** One row per listener (members, and routed parties); forks only send. */
  readonly rows: readonly HearingRow[];
  /** The party legs that must be routed through the mixer (in-<legId>); empty while every member listens. */
  readonly routed: readonly string[];
};

const speaks = (m: HeardMember) =>
  m.mode === MonitorMode.MONITOR_MODE_WHISPER || m.mode === MonitorMode.MONITOR_MODE_BARGE;
const barges = (m: HeardMember) => m.mode === MonitorMode.MONITOR_MODE_BARGE;

/**
 * The members of the call's room, in a stable order: every started monitor whose supervisor is answered,
 * then every added participant whose leg is answered (FULL heard as BARGE, LISTEN as LISTEN).
 */
export function membersOf(state: CallState): HeardMember[] {
  if (state.status !== 'active') return [];
  const answered = (legId: string) => state.legs[legId]?.status === 'answered';
  return [
    ...Object.values(state.monitors)
      .filter((m) => m.status === 'started' && answered(m.supervisorLegId))
      .map((m) => ({
        participantId: supParticipant(m.monitorId),
        legId: m.supervisorLegId,
        mode: m.mode,
        whisperLegId: m.whisperLegId,
      })),
    ...Object.values(state.participants)
      .filter((p) => p.status === 'added' && answered(p.legId))
      .map((p) => ({
        participantId: parParticipant(p.participantId),
        legId: p.legId,
        mode:
          p.mode === ParticipantMode.PARTICIPANT_MODE_LISTEN
            ? MonitorMode.MONITOR_MODE_LISTEN
            : MonitorMode.MONITOR_MODE_BARGE,
        whisperLegId: '',
      })),
  ];
}

/** The bots of the call's room: its running bidirectional streams, in the order they were requested. */
export function botsOf(state: CallState): BotMember[] {
  if (state.status !== 'active') return [];
  return Object.values(state.streams)
    .filter((st) => st.bidirectional && isStreaming(st))
    .map((st) => ({ participantId: botParticipant(st.streamId), streamId: st.streamId, legId: st.legId }));
}

/**
 * `parties`: the answered party legs of the call. Every member hears every party (their forks) and the
 * members who barge (who are in the conversation). Once any member whispers or barges, or a bot speaks,
 * every party is routed through the mixer: each hears the other parties, every barging member, the members
 * whispering to it and the bots speaking to it (a call stream's bot speaks to every party, a leg stream's
 * to its leg only). A member hears the call streams' bots too (they are part of the conversation).
 */
export function hearingOf(
  members: readonly HeardMember[],
  parties: readonly string[],
  bots: readonly BotMember[] = [],
): Hearing {
  const routed = members.some(speaks) || bots.length > 0 ? [...parties] : [];
  const callBots = bots.filter((b) => !b.legId).map((b) => b.participantId);
  const rows: HearingRow[] = members.map((m) => ({
    listenerId: m.participantId,
    sourceIds: [
      ...parties.map(forkParticipant),
      ...members.filter((o) => o !== m && barges(o)).map((o) => o.participantId),
      ...callBots,
    ],
  }));
  for (const p of routed)
    rows.push({
      listenerId: inParticipant(p),
      sourceIds: [
        ...routed.filter((q) => q !== p).map(inParticipant),
        ...members
          .filter((m) => barges(m) || (m.mode === MonitorMode.MONITOR_MODE_WHISPER && m.whisperLegId === p))
          .map((m) => m.participantId),
        ...bots.filter((b) => !b.legId || b.legId === p).map((b) => b.participantId),
      ],
    });
  return { rows, routed };
}
