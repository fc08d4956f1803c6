// The call's state and `evolve`. Call and legs are unions on `status`, so e.g. an ended leg with no cause
// cannot be written down. evolve never throws and never reads the world: replay gives the same state.
// Each capability (capabilities/<name>/) holds the types and evolve cases of its part of the state.
import type { callEvents } from '@callctl/proto';
import type { CallEvent } from './call.events';
import { callRegistry } from './call.capabilities';
import type { IdempotencyMap } from './idempotency';
import type { MediaState } from './capabilities/media/media.state';
import type { DigitsState } from './capabilities/digits/digits.state';
import type { BridgesState } from './capabilities/bridges/bridges.state';
import type { MediaLossState } from './capabilities/media-loss/media-loss.state';
import type { RecordingsState } from './capabilities/recordings/recordings.state';
import type { SiprecState } from './capabilities/siprec/siprec.state';
import type { MonitorsState } from './capabilities/monitors/monitors.state';
import type { TransfersState } from './capabilities/transfers/transfers.state';
import type { LegHold } from './capabilities/holds/holds.state';
import type { ParticipantsState } from './capabilities/participants/participants.state';
import type { StreamsState } from './capabilities/streams/streams.state';

type LegBase = {
  readonly legId: string;
  readonly direction: callEvents.LegDirection;
  readonly fromUri: string;
  readonly toUri: string;
  readonly ringTimeoutMs: number;
  /** The SIP Call-ID once the SIP edge reported it (empty before). */
  readonly sipCallId: string;
  readonly bridgeWithOnAnswer?: string;
  /** Where the leg's media is in rtpengine now: media-worker operations on the leg name this. */
  readonly media: callEvents.MediaParty;
  /** In-band (tone) DTMF detection is on (DtmfDetectionChanged); off when never set. */
  readonly inbandDtmf?: boolean;
  /**
   * SUPERVISOR for a leg dialled by MonitorCall (with its monitor), PARTICIPANT for one dialled by
   * AddParticipant (with its participant); absent: a party.
   */
  readonly role?: callEvents.LegRole;
  readonly monitorId?: string;
  /** On hold (LegHeld, until LegResumed): by whom, and what the API's hold plays. */
  readonly hold?: LegHold;
  readonly participantId?: string;
  /** LegInitiated's trunk, user and (a device's call) routed_to, as sip-edge classified the leg. */
  readonly trunk?: string;
  readonly user?: string;
  readonly routedTo?: string;
  /** The last attempt of this outbound leg recorded as failed (LegAttemptFailed: trunk failover). */
  readonly failedAttempts?: number;
};
export type Leg =
  | (LegBase & { readonly status: 'initiated' })
  | (LegBase & { readonly status: 'ringing'; readonly earlyMedia: boolean })
  | (LegBase & { readonly status: 'answered'; readonly bridgeId?: string; readonly echo: boolean })
  | (LegBase & { readonly status: 'ended'; readonly cause: callEvents.EndCause; readonly sipStatus: number });

export { legMedia } from './capabilities/legs/legs.state';
export type { Playback } from './capabilities/media/media.state';
export type { Collect } from './capabilities/digits/digits.state';
export type { Bridge } from './capabilities/bridges/bridges.state';
export type { Recording } from './capabilities/recordings/recordings.state';
export type { Siprec } from './capabilities/siprec/siprec.state';
export type { Monitor } from './capabilities/monitors/monitors.state';
export type { LegHold } from './capabilities/holds/holds.state';
export type { Participant } from './capabilities/participants/participants.state';
export type { Stream } from './capabilities/streams/streams.state';
export type { IdempotentResult } from './idempotency';

/** The call itself and its legs; each capability that keeps state adds its part below. */
type CallCore = {
  readonly callId: string;
  readonly clientState: string;
  readonly maxDurationMs: number;
  readonly legs: Readonly<Record<string, Leg>>;
  readonly idempotency: IdempotencyMap;
  readonly answered: boolean;
};
type CallBase = CallCore &
  MediaState &
  DigitsState &
  BridgesState &
  MediaLossState &
  RecordingsState &
  SiprecState &
  MonitorsState &
  TransfersState &
  StreamsState &
  ParticipantsState;
export type CallState =
  | { readonly status: 'none' }
  | (CallBase & { readonly status: 'active' })
  | (CallBase & { readonly status: 'ended'; readonly cause: callEvents.EndCause });

export const initialState = (): CallState => ({ status: 'none' });

/** Folds one event: the capability that owns the event's type applies it (capabilities/registry.ts). */
export const evolve = (state: CallState, event: CallEvent): CallState => callRegistry.evolve(state, event);

export const foldEvents = (events: readonly CallEvent[], from: CallState = initialState()): CallState =>
  events.reduce(evolve, from);
