// When things happened to a call, from the recorded times of its events. Events carry no time (the
// envelope does), so GetCall's timestamps and the deadlines re-armed after a restart come from here.
import type { RecordedEvent } from '@callctl/eventstore';

export interface LegTimes {
  readonly initiatedAtMs: number;
  readonly answeredAtMs?: number;
  readonly endedAtMs?: number;
}

export interface CallTimeline {
  readonly createdAtMs?: number;
  readonly endedAtMs?: number;
  /** The call's first answer: the maximum duration counts from here. */
  readonly firstAnsweredAtMs?: number;
  readonly legs: Readonly<Record<string, LegTimes>>;
  /**
   * Per digit collection: its start, its last digit or its last prompt's end, whichever is later (the running
   * timer's origin).
   */
  readonly collectLastAtMs: Readonly<Record<string, number>>;
  /** Per collection prompt (playback id): when it started (its timeout counts from here). */
  readonly promptStartedAtMs: Readonly<Record<string, number>>;
  /** Per transfer: when it was requested (a phone's REFER waiting for a decision counts from here). */
  readonly transferRequestedAtMs?: Readonly<Record<string, number>>;
}

export const emptyTimeline = (): CallTimeline => ({ legs: {}, collectLastAtMs: {}, promptStartedAtMs: {} });

interface LegIdData {
  legId?: string;
  collectId?: string;
  playbackId?: string;
  transferId?: string;
}

export function recordTime(t: CallTimeline, event: RecordedEvent): CallTimeline {
  const at = event.metadata.recordedAt.getTime();
  const d = (event.data ?? {}) as LegIdData;
  const leg = d.legId ? t.legs[d.legId] : undefined;
  const setLeg = (times: LegTimes): CallTimeline => ({ ...t, legs: { ...t.legs, [d.legId!]: times } });
  switch (event.type) {
    case 'CallCreated':
      return { ...t, createdAtMs: at };
    case 'CallEnded':
      return { ...t, endedAtMs: at };
    case 'DialRequested':
    case 'LegInitiated':
      // An outbound leg starts when it is requested (DialRequested); its LegInitiated follows when the INVITE
      // has left, and must not move that start.
      return leg ? t : setLeg({ initiatedAtMs: at });
    case 'LegAnswered':
      return {
        ...setLeg({ initiatedAtMs: leg?.initiatedAtMs ?? at, ...leg, answeredAtMs: leg?.answeredAtMs ?? at }),
        firstAnsweredAtMs: t.firstAnsweredAtMs ?? at,
      };
    case 'LegEnded':
      return setLeg({ initiatedAtMs: leg?.initiatedAtMs ?? at, ...leg, endedAtMs: at });
    case 'DigitCollectionStarted':
      return { ...t, collectLastAtMs: { ...t.collectLastAtMs, [d.collectId!]: at } };
    case 'PlaybackStarted':
      return d.collectId && d.playbackId
        ? { ...t, promptStartedAtMs: { ...t.promptStartedAtMs, [d.playbackId]: at } }
        : t;
    // A digit of a collection, or its prompt that ended (the first-digit timer starts after the last one).
    case 'DtmfReceived':
    case 'PlaybackFinished':
      return d.collectId ? { ...t, collectLastAtMs: { ...t.collectLastAtMs, [d.collectId]: at } } : t;
    case 'TransferRequested':
      return { ...t, transferRequestedAtMs: { ...t.transferRequestedAtMs, [d.transferId!]: at } };
    default:
      return t;
  }
}
