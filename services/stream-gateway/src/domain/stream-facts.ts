// The StreamFacts the gateway publishes, each with a name-based id: the same fact made again carries the
// same id, and JetStream stores it once. Pure.
import type { callEvents, facts } from '@callctl/proto';
import { sha1Uuid } from '@callctl/service';

const NAMESPACE = 'callctl.stream.fact';

export type Base = { callId: string; streamId: string; occurredAtMs: number };

const factOf = (base: Base, id: string, fact: facts.StreamFact['fact']): facts.StreamFact => ({
  factId: sha1Uuid(NAMESPACE, base.streamId, id),
  callId: base.callId,
  streamId: base.streamId,
  fact,
  sourceSequence: 0,
  occurredAtMs: base.occurredAtMs,
});

export const connectedFact = (base: Base, reconnects: number): facts.StreamFact =>
  factOf(base, `connected.${reconnects}`, { $case: 'streamConnected', streamConnected: { reconnects } });

/** `breakNumber` counts the breaks of the stream (attempts restart at 1 for each). */
export const connectionLostFact = (
  base: Base,
  breakNumber: number,
  attempt: number,
  reason: string,
): facts.StreamFact =>
  factOf(base, `lost.${breakNumber}.${attempt}`, {
    $case: 'streamConnectionLost',
    streamConnectionLost: { attempt, reason },
  });

export interface StreamCounters {
  framesSent: number;
  framesDropped: number;
  reconnects: number;
}

export const closedFact = (
  base: Base,
  reason: callEvents.StreamStopReason,
  detail: string,
  counters: StreamCounters,
): facts.StreamFact =>
  factOf(base, 'closed', { $case: 'streamClosed', streamClosed: { reason, detail, ...counters } });

export const openFailedFact = (base: Base, reason: string): facts.StreamFact =>
  factOf(base, 'open-failed', { $case: 'streamOpenFailed', streamOpenFailed: { reason } });
