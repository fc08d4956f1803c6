// Builds the call aggregate's decide, evolve and settled from a list of capabilities, and the cascade
// that ends a leg: each capability is asked what ends with the leg, then the leg ends, then the call when
// no party leg is left (supervisor legs, which monitoring dials, and participant legs end with the call). A command or event type that no capability handles is a compile error at the call to
// buildRegistry; one that two capabilities claim is refused when the registry is built.
import { callEvents } from '@callctl/proto';
import type { CallCommand, CallCommandType } from '../call.commands';
import type { CallEvent, CallEventType } from '../call.events';
import type { CallState, Leg } from '../call.state';
import type { Active, Decision } from '../call.guards';
import { ValidationError } from '../errors';
import type { AnyCapability, DecideContext, Decider, Evolver, LegEnd, Started } from './capability';
import { isSupervisor } from './monitors/monitors.state';
import { isParty } from './legs/roles';

const LOCAL_HANGUP: LegEnd = { cause: callEvents.EndCause.END_CAUSE_LOCAL_HANGUP, sipStatus: 0 };

type Handled<L extends readonly AnyCapability[], K extends 'decide' | 'evolve'> = L[number] extends infer C
  ? C extends AnyCapability
    ? keyof C[K]
    : never
  : never;
type Missing<L extends readonly AnyCapability[]> =
  | Exclude<CallCommandType, Handled<L, 'decide'>>
  | Exclude<Exclude<CallEventType, 'CallCreated'>, Handled<L, 'evolve'>>;

export interface CallRegistry {
  readonly capabilities: readonly AnyCapability[];
  decide(command: CallCommand, state: CallState): Decision;
  evolve(state: CallState, event: CallEvent): CallState;
  settled(command: CallCommand, state: CallState): boolean;
  readonly context: DecideContext;
}

/** Every command and event type must have a capability: the second argument names those that have none. */
export function buildRegistry<const L extends readonly AnyCapability[]>(
  capabilities: L,
  ...unhandled: [Missing<L>] extends [never] ? [] : [missing: Missing<L>]
): CallRegistry {
  void unhandled;
  const deciders = claim(capabilities, 'decide') as Partial<Record<string, Decider<CallCommandType>>>;
  const evolvers = claim(capabilities, 'evolve') as Partial<Record<string, Evolver<CallEventType>>>;
  const settlers = claim(capabilities, 'settled') as Partial<
    Record<string, (s: Started, c: CallCommand) => boolean>
  >;
  const initial: Partial<Started> = Object.assign({}, ...capabilities.map((c) => c.initial ?? {}));

  const evolve = (state: CallState, event: CallEvent): CallState => {
    if (event.type === 'CallCreated') return started(event.data, initial);
    if (state.status === 'none') return state;
    const fn = evolvers[event.type];
    return fn ? fn(state, event as never) : state;
  };

  const context: DecideContext = {
    evolve,
    legRinging: (s, legId) => capabilities.flatMap((c) => c.onLegRinging?.(s, legId) ?? []),
    digitReceived: (s, legId, digit) => capabilities.flatMap((c) => c.onDigit?.(s, legId, digit) ?? []),
    legAnswered(s, legId, now) {
      const decisions = capabilities.flatMap((c) =>
        c.onLegAnswered ? [c.onLegAnswered(s, legId, now)] : [],
      );
      return {
        events: decisions.flatMap((d) => d.events),
        deadlines: decisions.flatMap((d) => d.deadlines ?? []),
      };
    },
    endLeg(s, l, cause, sipStatus, reason, receivedReason) {
      const base = { callId: s.callId, clientState: s.clientState };
      const endOf = (
        at: Active,
        leg: Leg,
        end: LegEnd,
        why: string,
        received?: callEvents.SipReason,
      ): CallEvent[] => [
        ...capabilities.flatMap((c) => c.onLegEnded?.(at, leg, end) ?? []),
        {
          type: 'LegEnded',
          data: {
            ...base,
            legId: leg.legId,
            ...end,
            reason: why,
            ...(received ? { receivedReason: received } : {}),
          },
        },
      ];
      const out = endOf(s, l, { cause, sipStatus }, reason, receivedReason);
      // A supervisor's or participant's leg never keeps the call up: the call ends with its last party leg.
      const stillUp = Object.values(s.legs).some(
        (o) => o.legId !== l.legId && o.status !== 'ended' && isParty(o),
      );
      if (!stillUp) {
        out.push(...capabilities.flatMap((c) => c.onCallEnded?.(s) ?? []));
        // The supervisors and participants still up are hung up with the call, after what they were in
        // (their monitors, their participation) ended with it.
        for (const other of Object.values(s.legs))
          if (other.legId !== l.legId && other.status !== 'ended' && !isParty(other)) {
            const at = out.reduce(evolve, s as CallState) as Active;
            const why = isSupervisor(other) ? 'the monitored call ended' : 'the three-way call ended';
            out.push(...endOf(at, other, LOCAL_HANGUP, why));
          }
        out.push({ type: 'CallEnded', data: { ...base, cause, talkDurationMs: 0 } });
      }
      return out;
    },
  };

  return {
    capabilities,
    context,
    evolve,
    decide(command, state) {
      const fn = deciders[command.type];
      if (!fn) throw new ValidationError(`unknown command ${(command as { type: string }).type}`);
      return fn(state, command as never, context);
    },
    settled(command, state) {
      if (state.status === 'none') return false;
      return settlers[command.type]?.(state, command) ?? false;
    },
  };
}

/** Merges one table of every capability; a type that two capabilities claim is refused. */
function claim(
  capabilities: readonly AnyCapability[],
  table: 'decide' | 'evolve' | 'settled',
): Record<string, unknown> {
  const owner = new Map<string, string>();
  const out: Record<string, unknown> = {};
  for (const c of capabilities)
    for (const [type, fn] of Object.entries(c[table] ?? {})) {
      const other = owner.get(type);
      if (other !== undefined)
        throw new Error(`call capabilities ${other} and ${c.name} both handle ${table} of ${type}`);
      owner.set(type, c.name);
      out[type] = fn;
    }
  return out;
}

function started(d: callEvents.CallCreated, initial: Partial<Started>): CallState {
  // Each capability's `initial` holds its part of the state (registry.unit.test.ts checks the whole).
  return {
    ...(initial as Omit<Started, 'status'>),
    status: 'active',
    callId: d.callId,
    clientState: d.clientState,
    maxDurationMs: d.maxDurationMs,
    legs: {},
    answered: false,
    idempotency: d.idempotencyKey ? { [d.idempotencyKey]: { fingerprint: '', resultId: d.callId } } : {},
  } as CallState;
}
