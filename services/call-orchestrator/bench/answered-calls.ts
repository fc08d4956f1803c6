// Seeds the event log with answered inbound calls, written as the orchestrator writes them: sip-edge's
// InboundCallOffered fact goes through the facts adapter's own mapping (sipFactCommand) and the domain's
// decide, then the app's AnswerLeg through decide again, and each decision is one append of its events,
// as the command handler does. Much faster than SIP: no INVITE, no sip-edge, no media, only the log.
import { randomUUID } from 'node:crypto';
import { callStreamId, type EventStore, type NewEvent } from '@callctl/eventstore';
import type { sipEdge } from '@callctl/proto';
import { sipFactCommand } from '../src/app/fact-commands.js';
import { systemIds } from '../src/adapters/ids.js';
import type { CallCommand } from '../src/domain/call.commands.js';
import { decide } from '../src/domain/call.decide.js';
import { evolve, initialState, type CallState } from '../src/domain/call.state.js';

export interface SeededCall {
  callId: string;
  legId: string;
}

/** The limit AnswerLeg sets: every seeded call has a max-duration deadline to re-arm at start. */
export const SEEDED_MAX_DURATION_MS = 3_600_000;

const ids = systemIds(Date.now);

/** The events of each decision of one answered inbound call, in the order the orchestrator appends them. */
export function answeredCallAppends(call: SeededCall, now = Date.now()): NewEvent[][] {
  const offer = sipFactCommand(
    {
      factId: randomUUID(),
      callId: call.callId,
      legId: call.legId,
      sourceSequence: 1,
      occurredAtMs: now,
      fact: {
        $case: 'inboundCallOffered',
        inboundCallOffered: {
          fromUri: 'sip:caller@127.0.0.1',
          toUri: 'sip:ivr@127.0.0.1',
          sipCallId: `${call.legId}@127.0.0.1`,
          fromDisplayName: '',
          headers: {},
          media: { sessionId: call.callId, tag: call.legId },
        },
      },
    },
    now,
    ids.next(),
  ).command;
  const answer: CallCommand = {
    type: 'AnswerLeg',
    data: { legId: call.legId, maxDurationMs: SEEDED_MAX_DURATION_MS },
    metadata: { now, newId: ids.next() },
  };
  let state: CallState = initialState();
  return [offer, answer].map((command) => {
    const { events } = decide(command, state);
    for (const event of events) state = evolve(state, event);
    return events.map((e) => ({ eventId: ids.next(), type: e.type, data: e.data }));
  });
}

/** Events per seeded call. */
export const EVENTS_PER_CALL = answeredCallAppends({ callId: randomUUID(), legId: randomUUID() }).flat()
  .length;

/**
 * Appends `count` answered calls, `inFlight` calls at a time (the store's batcher groups the appends that
 * wait, as it does for the orchestrator's concurrent commands). Returns the calls.
 */
export async function seedAnsweredCalls(
  store: EventStore,
  count: number,
  inFlight = 64,
): Promise<SeededCall[]> {
  const calls = Array.from({ length: count }, () => ({ callId: randomUUID(), legId: randomUUID() }));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        let version = 0;
        for (const events of answeredCallAppends(call)) {
          const result = await store.append(
            callStreamId(call.callId),
            version === 0 ? 'no-stream' : version,
            events,
            { correlationId: call.callId },
          );
          version = result.nextExpectedVersion;
        }
      }
    }),
  );
  return calls;
}

/** What sip-edge would answer to ListLegs while it holds these calls' legs (the reconciler ends none). */
export function heldLegs(calls: readonly SeededCall[]): sipEdge.EdgeLeg[] {
  return calls.map((c) => ({
    callId: c.callId,
    legId: c.legId,
    sipCallId: `${c.legId}@127.0.0.1`,
    sipState: 'answered',
  }));
}
