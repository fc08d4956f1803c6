// What a capability of the call aggregate (legs, media, digit collection, bridges, ...) gives the registry:
// a decide function per command it owns, an evolve case per event it owns, and what it does when a leg or
// the whole call ends. Everything here is pure; the I/O that goes with a command is the app's
// (app/capabilities/).
import type { callEvents } from '@callctl/proto';
import type { CallCommandType } from '../call.commands';
import type { CallEvent, CallEventType } from '../call.events';
import type { CallState, Leg } from '../call.state';
import { active, type Active, type Cmd, type Decision } from '../call.guards';
import { NotFoundError } from '../errors';

/** A call that exists (active or ended): what every event but CallCreated applies to. */
export type Started = Exclude<CallState, { status: 'none' }>;
export type Ev<T extends CallEventType> = Extract<CallEvent, { type: T }>;

/** What the registry lends decide functions: the cascades that span all capabilities. */
export interface DecideContext {
  /** Ends a leg, with what every capability ends with it, and the call when it was the last leg. */
  endLeg(
    s: Active,
    l: Leg,
    cause: callEvents.EndCause,
    sipStatus: number,
    reason: string,
    /** The Reason header the far end sent (sip-edge's LegEnded fact), recorded on the leg's LegEnded. */
    receivedReason?: callEvents.SipReason,
  ): CallEvent[];
  /**
   * What every capability does when a key pressed on an answered leg is recorded (a segment's terminator
   * stops it): the digits capability asks, without knowing who listens.
   */
  digitReceived(s: Active, legId: string, digit: string): CallEvent[];
  /** What every capability does when a leg's answer is recorded (after its LegAnswered). */
  legAnswered(s: Active, legId: string, now: number): Decision;
  /** What every capability does when a leg's ringing is recorded (after its LegRinging). */
  legRinging(s: Active, legId: string): CallEvent[];
  evolve(state: CallState, event: CallEvent): CallState;
}

export type Decider<T extends CallCommandType> = (
  state: CallState,
  c: Cmd<T>,
  ctx: DecideContext,
) => Decision;
/** How a leg ended, for the capabilities that end something with it. */
export type LegEnd = { readonly cause: callEvents.EndCause; readonly sipStatus: number };

export type Evolver<T extends CallEventType> = (s: Started, e: Ev<T>) => CallState;

export interface Capability<C extends CallCommandType, E extends CallEventType> {
  /** For errors and logs. */
  readonly name: string;
  readonly decide: { readonly [T in C]: Decider<T> };
  readonly evolve: { readonly [T in E]: Evolver<T> };
  /** This capability's part of a new call's state (its empty maps). */
  readonly initial?: Partial<Started>;
  /**
   * Whether the call already reflects this fact for good: deciding it gives no events on this state and on
   * every later one (see call.settled.ts). Facts without an entry are never settled.
   */
  readonly settled?: { readonly [T in C]?: (s: Started, c: Cmd<T>) => boolean };
  /** Events that end what this capability runs on a leg that ends (before its LegEnded). */
  readonly onLegEnded?: (s: Active, l: Leg, end: LegEnd) => readonly CallEvent[];
  /** Events that end what this capability runs on the call, when its last leg ends (before CallEnded). */
  readonly onCallEnded?: (s: Active) => readonly CallEvent[];
  /** Events that follow a key pressed on an answered leg (after its DtmfReceived). */
  readonly onDigit?: (s: Active, legId: string, digit: string) => readonly CallEvent[];
  /** Events (and deadlines) that follow a leg's answer (after its LegAnswered). */
  readonly onLegAnswered?: (s: Active, legId: string, now: number) => Decision;
  /** Events that follow a leg's ringing (after its LegRinging). */
  readonly onLegRinging?: (s: Active, legId: string) => readonly CallEvent[];
}

/** Any capability, as the registry holds it. */
export type AnyCapability = {
  readonly name: string;
  readonly decide: Partial<Record<CallCommandType, unknown>>;
  readonly evolve: Partial<Record<CallEventType, unknown>>;
  readonly initial?: Partial<Started>;
  readonly settled?: Partial<Record<CallCommandType, unknown>>;
  readonly onLegEnded?: (s: Active, l: Leg, end: LegEnd) => readonly CallEvent[];
  readonly onCallEnded?: (s: Active) => readonly CallEvent[];
  readonly onDigit?: (s: Active, legId: string, digit: string) => readonly CallEvent[];
  readonly onLegAnswered?: (s: Active, legId: string, now: number) => Decision;
  readonly onLegRinging?: (s: Active, legId: string) => readonly CallEvent[];
};

const none: Decision = { events: [] };

/** The call with this leg put in (added or replaced). */
export const withLeg = (s: Started, l: Leg): Started => ({ ...s, legs: { ...s.legs, [l.legId]: l } });

/** A command for an active call: refused on a call that does not exist or has ended. */
export const onActive =
  <T extends CallCommandType>(fn: (s: Active, c: Cmd<T>, ctx: DecideContext) => Decision): Decider<T> =>
  (state, c, ctx) =>
    fn(active(state), c, ctx);

/** A command for a call that exists, active or ended (a recording's file is stored after the call ended). */
export const onStarted =
  <T extends CallCommandType>(fn: (s: Started, c: Cmd<T>, ctx: DecideContext) => Decision): Decider<T> =>
  (state, c, ctx) => {
    if (state.status === 'none') throw new NotFoundError('the call does not exist');
    return fn(state, c, ctx);
  };

/** A fact that may arrive after the call ended (a late report): nothing to record then. */
export const untilEnded =
  <T extends CallCommandType>(fn: (s: Active, c: Cmd<T>, ctx: DecideContext) => Decision): Decider<T> =>
  (state, c, ctx) =>
    state.status === 'ended' ? none : fn(active(state), c, ctx);

/** The events of `step` for each item in turn, each decided on the call as the previous ones left it. */
export function chained<T>(
  s: Active,
  items: readonly T[],
  step: (at: Active, item: T) => readonly CallEvent[],
  ctx: DecideContext,
): CallEvent[] {
  const out: CallEvent[] = [];
  let at = s;
  for (const item of items) {
    const events = step(at, item);
    out.push(...events);
    at = events.reduce((a, e) => ctx.evolve(a, e) as Active, at);
  }
  return out;
}

/** The context's evolve on an active call, for events that leave it active (playbacks, digits). */
export const activeEvolve =
  (ctx: DecideContext) =>
  (s: Active, e: CallEvent): Active =>
    ctx.evolve(s, e) as Active;
