// What a capability does outside the aggregate: the SIP and media actions that go with its commands, and
// when they run relative to the append (command-effects.ts says why in that order).
import type { CallCommand, CallCommandType } from '../../domain/call.commands.js';
import type { Cmd, Decision } from '../../domain/call.guards.js';
import type { CallEvent } from '../../domain/call.events.js';
import type { CallState } from '../../domain/call.state.js';
import type { Logger } from '@callctl/logging';
import type { MediaParty, MediaPort, RecorderPort, SipEdgePort } from '../ports.js';
import type { SiprecWire } from '../siprec-wire.js';
import type { MonitorMedia } from '../monitor-media.js';
import type { StreamWire } from './streams.effects.js';

export interface EffectPorts {
  readonly sipEdge: SipEdgePort;
  readonly media: MediaPort;
  readonly recorder: RecorderPort;
  /** SIPREC's fork and recording-session steps (absent: a process without SIPREC). */
  readonly siprec?: SiprecWire;
  /** The monitored calls' mixer rooms and routes (absent: a process without a mixer). */
  readonly monitors?: MonitorMedia;
  /** The stream gateway and the streams' background work (absent: a process without a gateway). */
  readonly streams?: StreamWire;
  /** For an action after the append that finally failed and is given up (nothing records it). */
  readonly log?: Logger;
}

export type Started = Exclude<CallState, { status: 'none' }>;

/** What an action learnt that its events record (the bridge's media session): applied before the append. */
export type EventAmendment = (event: CallEvent) => CallEvent;

/** Where the leg's media is now (decide has checked the leg exists). */
export function partyOf(state: CallState, legId: string): MediaParty {
  const leg = state.status === 'none' ? undefined : state.legs[legId];
  if (!leg) throw new Error(`no leg ${legId} to address media to`);
  return leg.media;
}

export interface CommandEffect<T extends CallCommandType> {
  /**
   * After decide accepted the command on `state`, before its events are appended (a failure records
   * nothing). It may return an amendment of the decided events with what the action learnt.
   */
  before?(
    ports: EffectPorts,
    callId: string,
    command: Cmd<T>,
    decision: Decision,
    state: CallState,
  ): Promise<EventAmendment | void>;
  /** After the append; `state`: the call the command was decided on. */
  after?(
    ports: EffectPorts,
    callId: string,
    command: Cmd<T>,
    decision: Decision,
    state: CallState,
  ): Promise<void>;
  /** What to record when `after` failed. */
  afterFailed?(command: Cmd<T>, decision: Decision, error: unknown): CallCommand | undefined;
  /** After `before` ran, a refusal on a retry that means a fact recorded the outcome meanwhile. */
  alreadyDone?(command: Cmd<T>, state: Started): boolean;
}

/**
 * An action that follows events of a kind whatever command decided them (a recording stopped by the end of
 * the call, of a leg, or by a key): it runs after the append of ANY command whose decision holds such
 * events, after that command's own `after`. The events are recorded facts that nothing redelivers, so it
 * never fails the command: it retries, then gives up with a warning.
 */
export type EventsEffect = (
  ports: EffectPorts,
  callId: string,
  command: CallCommand,
  decision: Decision,
  state: CallState,
) => Promise<void>;

export interface CapabilityEffects {
  /** The domain capability's name (domain/call.capabilities.ts). */
  readonly name: string;
  readonly effects: { readonly [T in CallCommandType]?: CommandEffect<T> };
  /** What follows this capability's events decided by any command (see EventsEffect). */
  readonly afterEvents?: EventsEffect;
}

/** An effect as the table holds it: looked up by the command's own type, so it takes any command. */
export type AnyEffect = CommandEffect<CallCommandType>;

/** One table of every capability's effects; a command that two capabilities claim is refused. */
export function effectsTable(capabilities: readonly CapabilityEffects[]): ReadonlyMap<string, AnyEffect> {
  const table = new Map<string, AnyEffect>();
  const owner = new Map<string, string>();
  for (const c of capabilities)
    for (const [type, effect] of Object.entries(c.effects)) {
      const other = owner.get(type);
      if (other !== undefined)
        throw new Error(`capabilities ${other} and ${c.name} both have effects for ${type}`);
      owner.set(type, c.name);
      table.set(type, effect as unknown as AnyEffect);
    }
  return table;
}
