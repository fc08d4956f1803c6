// The call's state and `evolve`. Call and legs are unions on `status`, so e.g. an ended leg with no cause
// cannot be written down. evolve never throws and never reads the world: replay gives the same state.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from './call.events';

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
};
export type Leg =
  | (LegBase & { readonly status: 'initiated' })
  | (LegBase & { readonly status: 'ringing'; readonly earlyMedia: boolean })
  | (LegBase & { readonly status: 'answered'; readonly bridgeId?: string; readonly echo: boolean })
  | (LegBase & { readonly status: 'ended'; readonly cause: callEvents.EndCause; readonly sipStatus: number });

export type Playback = {
  readonly playbackId: string;
  readonly legId: string;
  readonly status: 'playing' | 'finished';
};

export type Collect =
  | {
      readonly status: 'collecting';
      readonly collectId: string;
      readonly legId: string;
      readonly maxDigits: number;
      readonly terminators: string;
      readonly firstDigitTimeoutMs: number;
      readonly interDigitTimeoutMs: number;
      readonly digits: string;
    }
  | { readonly status: 'done'; readonly collectId: string; readonly legId: string; readonly digits: string };

export type Bridge = {
  readonly bridgeId: string;
  readonly legAId: string;
  readonly legBId: string;
  readonly status: 'active' | 'ended';
};

/** What an idempotency key produced: the request's fingerprint and the id it returned. */
export type IdempotentResult = { readonly fingerprint: string; readonly resultId: string };

type CallBase = {
  readonly callId: string;
  readonly clientState: string;
  readonly maxDurationMs: number;
  readonly legs: Readonly<Record<string, Leg>>;
  readonly playbacks: Readonly<Record<string, Playback>>;
  readonly collects: Readonly<Record<string, Collect>>;
  readonly bridges: Readonly<Record<string, Bridge>>;
  readonly idempotency: Readonly<Record<string, IdempotentResult>>;
  readonly answered: boolean;
};
export type CallState =
  | { readonly status: 'none' }
  | (CallBase & { readonly status: 'active' })
  | (CallBase & { readonly status: 'ended'; readonly cause: callEvents.EndCause });

export const initialState = (): CallState => ({ status: 'none' });

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

/** The fingerprints idempotency compares: built from the fields of the request that the event records. */
export const fingerprint = {
  play: (d: { legId: string; mediaUri: string; repeat: number }) =>
    `play|${d.legId}|${d.mediaUri}|${d.repeat}`,
  collect: (d: {
    legId: string;
    maxDigits: number;
    terminators: string;
    firstDigitTimeoutMs: number;
    interDigitTimeoutMs: number;
  }) =>
    `collect|${d.legId}|${d.maxDigits}|${d.terminators}|${d.firstDigitTimeoutMs}|${d.interDigitTimeoutMs}`,
  bridge: (d: { legAId: string; legBId: string }) => `bridge|${d.legAId}|${d.legBId}`,
  dial: (d: { bridgeWithLegId: string; toUri: string; fromUri: string; ringTimeoutMs: number }) =>
    `dial|${d.bridgeWithLegId}|${d.toUri}|${d.fromUri}|${d.ringTimeoutMs}`,
};

const remember = (s: CallBase, key: string, fp: string, resultId: string): CallBase['idempotency'] =>
  key ? { ...s.idempotency, [key]: { fingerprint: fp, resultId } } : s.idempotency;

export function evolve(state: CallState, event: CallEvent): CallState {
  if (event.type === 'CallCreated') {
    const d = event.data;
    return {
      status: 'active',
      callId: d.callId,
      clientState: d.clientState,
      maxDurationMs: d.maxDurationMs,
      legs: {},
      playbacks: {},
      collects: {},
      bridges: {},
      answered: false,
      idempotency: d.idempotencyKey ? { [d.idempotencyKey]: { fingerprint: '', resultId: d.callId } } : {},
    };
  }
  if (state.status === 'none') return state;
  const s = state;
  const setLeg = (leg: Leg): CallState => ({ ...s, legs: { ...s.legs, [leg.legId]: leg } });
  switch (event.type) {
    case 'LegInitiated': {
      const d = event.data;
      const prior = s.legs[d.legId];
      return setLeg({
        legId: d.legId,
        direction: d.direction,
        fromUri: d.fromUri,
        toUri: d.toUri,
        ringTimeoutMs: d.ringTimeoutMs,
        sipCallId: d.sipCallId,
        bridgeWithOnAnswer: prior?.bridgeWithOnAnswer,
        media: legMedia(s.callId, d.legId, d.media),
        status: 'initiated',
      });
    }
    case 'DialRequested': {
      const d = event.data;
      const leg: Leg = {
        legId: d.legId,
        direction: callEvents.LegDirection.LEG_DIRECTION_OUTBOUND,
        fromUri: d.fromUri,
        toUri: d.toUri,
        ringTimeoutMs: d.ringTimeoutMs,
        sipCallId: '',
        bridgeWithOnAnswer: d.bridgeWithLegId,
        media: legMedia(s.callId, d.legId),
        status: 'initiated',
      };
      return {
        ...s,
        legs: { ...s.legs, [d.legId]: leg },
        idempotency: remember(s, d.idempotencyKey, fingerprint.dial({ ...d }), d.legId),
      };
    }
    case 'LegRinging': {
      const leg = s.legs[event.data.legId];
      return leg ? setLeg({ ...leg, status: 'ringing', earlyMedia: event.data.earlyMedia }) : s;
    }
    case 'LegAnswered': {
      const leg = s.legs[event.data.legId];
      if (!leg) return s;
      // AnswerLeg may give the call a new client_state; the event carries the one in force from now on.
      const clientState = event.data.clientState || s.clientState;
      return {
        ...s,
        legs: { ...s.legs, [leg.legId]: { ...leg, status: 'answered', echo: false } },
        answered: true,
        clientState,
      };
    }
    case 'LegEnded': {
      const leg = s.legs[event.data.legId];
      return leg
        ? setLeg({ ...leg, status: 'ended', cause: event.data.cause, sipStatus: event.data.sipStatus })
        : s;
    }
    case 'CallEnded':
      return { ...s, status: 'ended', cause: event.data.cause };
    case 'PlaybackStarted': {
      const d = event.data;
      return {
        ...s,
        playbacks: {
          ...s.playbacks,
          [d.playbackId]: { playbackId: d.playbackId, legId: d.legId, status: 'playing' },
        },
        idempotency: remember(s, d.idempotencyKey, fingerprint.play(d), d.playbackId),
      };
    }
    case 'PlaybackFinished': {
      const p = s.playbacks[event.data.playbackId];
      return p ? { ...s, playbacks: { ...s.playbacks, [p.playbackId]: { ...p, status: 'finished' } } } : s;
    }
    case 'DigitCollectionStarted': {
      const d = event.data;
      const c: Collect = {
        status: 'collecting',
        collectId: d.collectId,
        legId: d.legId,
        maxDigits: d.maxDigits,
        terminators: d.terminators,
        firstDigitTimeoutMs: d.firstDigitTimeoutMs,
        interDigitTimeoutMs: d.interDigitTimeoutMs,
        digits: '',
      };
      return {
        ...s,
        collects: { ...s.collects, [d.collectId]: c },
        idempotency: remember(s, d.idempotencyKey, fingerprint.collect(d), d.collectId),
      };
    }
    case 'DtmfReceived': {
      const c = s.collects[event.data.collectId];
      if (!c || c.status !== 'collecting') return s;
      return {
        ...s,
        collects: { ...s.collects, [c.collectId]: { ...c, digits: c.digits + event.data.digit } },
      };
    }
    case 'DigitsCollected': {
      const d = event.data;
      const c = s.collects[d.collectId];
      return c
        ? {
            ...s,
            collects: {
              ...s.collects,
              [d.collectId]: { status: 'done', collectId: d.collectId, legId: c.legId, digits: d.digits },
            },
          }
        : s;
    }
    case 'EchoStarted':
    case 'EchoStopped': {
      const leg = s.legs[event.data.legId];
      return leg?.status === 'answered' ? setLeg({ ...leg, echo: event.type === 'EchoStarted' }) : s;
    }
    case 'LegsBridged': {
      const d = event.data;
      const a = s.legs[d.legAId];
      const b = s.legs[d.legBId];
      if (a?.status !== 'answered' || b?.status !== 'answered') return s;
      // A bridge that moved the legs' media (BridgeLegs) names its session; each leg keeps its tag, and
      // stays there after the bridge ends. A dial-through shares the caller's session: nothing moves.
      const moved = (l: typeof a) =>
        d.mediaSessionId ? { sessionId: d.mediaSessionId, tag: l.media.tag } : l.media;
      return {
        ...s,
        legs: {
          ...s.legs,
          [a.legId]: { ...a, bridgeId: d.bridgeId, echo: false, media: moved(a) },
          [b.legId]: { ...b, bridgeId: d.bridgeId, echo: false, media: moved(b) },
        },
        bridges: {
          ...s.bridges,
          [d.bridgeId]: { bridgeId: d.bridgeId, legAId: d.legAId, legBId: d.legBId, status: 'active' },
        },
        idempotency: remember(s, d.idempotencyKey, fingerprint.bridge(d), d.bridgeId),
      };
    }
    case 'BridgeEnded': {
      const br = s.bridges[event.data.bridgeId];
      if (!br) return s;
      const legs = { ...s.legs };
      for (const id of [br.legAId, br.legBId]) {
        const leg = legs[id];
        if (leg?.status === 'answered') legs[id] = { ...leg, bridgeId: undefined };
      }
      return { ...s, legs, bridges: { ...s.bridges, [br.bridgeId]: { ...br, status: 'ended' } } };
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export const foldEvents = (events: readonly CallEvent[], from: CallState = initialState()): CallState =>
  events.reduce(evolve, from);
