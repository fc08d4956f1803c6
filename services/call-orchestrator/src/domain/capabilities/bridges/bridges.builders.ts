// One-line test builders of bridges and Dial: events, commands, and short histories.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

export const legsBridged = (a: string, b: string, bridgeId = 'BR1', key = 'k-bridge'): CallEvent => ({
  type: 'LegsBridged',
  data: { ...base, bridgeId, legAId: a, legBId: b, idempotencyKey: key, mediaSessionId: '' },
});

export const bridgeEnded = (endedLegId: string, bridgeId = 'BR1'): CallEvent => ({
  type: 'BridgeEnded',
  data: {
    ...base,
    bridgeId,
    endedLegId,
    reason: callEvents.BridgeEndReason.BRIDGE_END_REASON_LEG_ENDED,
    transferId: '',
  },
});

export const dialRequested = (
  legId: string,
  withLeg: string,
  key = 'k-dial',
  toUri = `sip:${legId}@127.0.0.1`,
): CallEvent => ({
  type: 'DialRequested',
  data: {
    ...base,
    legId,
    bridgeWithLegId: withLeg,
    toUri,
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    idempotencyKey: key,
    headers: {},
  },
});

export const bridgeLegs = (a: string, b: string, newId = 'BR1', key = 'k-bridge'): CallCommand => ({
  type: 'BridgeLegs',
  data: { legAId: a, legBId: b },
  metadata: meta(newId, key),
});

export const dial = (
  withLeg: string,
  newId = 'B',
  key = 'k-dial',
  toUri = `sip:${newId}@127.0.0.1`,
): CallCommand => ({
  type: 'Dial',
  data: { bridgeWithLegId: withLeg, toUri, fromUri: 'sip:app@127.0.0.1', ringTimeoutMs: 30_000 },
  metadata: meta(newId, key),
});

export const recordLegsBridged = (a: string, b: string, bridgeId = 'BR1', key = 'k-bridge'): CallCommand => ({
  type: 'RecordLegsBridged',
  data: { legAId: a, legBId: b, bridgeId, idempotencyKey: key },
  metadata: meta(),
});
