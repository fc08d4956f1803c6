// Who hears whom in a monitored call's mixer room: a pure function of the monitors' modes and the parties
// (contract of issue 15). Participant ids are the orchestrator's: `sup-<monitorId>` (the supervisor's leg,
// sendrecv), `fork-<legId>` (a copy of what a party says, recvonly: listening never touches the parties'
// path) and `in-<legId>` (the party itself routed through the mixer, only while some monitor whispers or
// barges).
import { callEvents } from '@callctl/proto';

const { MonitorMode } = callEvents;

export const supParticipant = (monitorId: string) => `sup-${monitorId}`;
export const forkParticipant = (legId: string) => `fork-${legId}`;
export const inParticipant = (legId: string) => `in-${legId}`;

/** A monitor whose supervisor hears the call (started). */
export type HeardMonitor = {
  readonly monitorId: string;
  readonly mode: callEvents.MonitorMode;
  readonly whisperLegId: string;
};

export type HearingRow = { readonly listenerId: string; readonly sourceIds: readonly string[] };

export type Hearing = {
  /** One row per listener (supervisors, and routed parties); forks only send. */
  readonly rows: readonly HearingRow[];
  /** The party legs that must be routed through the mixer (in-<legId>); empty while every monitor listens. */
  readonly routed: readonly string[];
};

const speaks = (m: HeardMonitor) =>
  m.mode === MonitorMode.MONITOR_MODE_WHISPER || m.mode === MonitorMode.MONITOR_MODE_BARGE;
const barges = (m: HeardMonitor) => m.mode === MonitorMode.MONITOR_MODE_BARGE;

/**
 * `parties`: the answered party legs of the call. Every supervisor hears every party (their forks) and the
 * supervisors who barge (who are in the conversation). Once any monitor whispers or barges, every party is
 * routed through the mixer: each hears the other parties, every barging supervisor, and the supervisors
 * whispering to it.
 */
export function hearingOf(monitors: readonly HeardMonitor[], parties: readonly string[]): Hearing {
  const routed = monitors.some(speaks) ? [...parties] : [];
  const rows: HearingRow[] = monitors.map((m) => ({
    listenerId: supParticipant(m.monitorId),
    sourceIds: [
      ...parties.map(forkParticipant),
      ...monitors.filter((o) => o !== m && barges(o)).map((o) => supParticipant(o.monitorId)),
    ],
  }));
  for (const p of routed)
    rows.push({
      listenerId: inParticipant(p),
      sourceIds: [
        ...routed.filter((q) => q !== p).map(inParticipant),
        ...monitors
          .filter((m) => barges(m) || (m.mode === MonitorMode.MONITOR_MODE_WHISPER && m.whisperLegId === p))
          .map((m) => supParticipant(m.monitorId)),
      ],
    });
  return { rows, routed };
}
