import { headers } from '@nats-io/nats-core';
import { RELAY_HEADERS } from '@callctl/eventstore';
import { callEvents } from '@callctl/proto';
import { callbackIdOfClientState } from '../../domain/callback.decide.js';
import { decodeCallEvent } from './call-events-consumer.js';

function message(type: string, data: Uint8Array, recordedAt = '2026-12-06T10:00:00.250Z') {
  const h = headers();
  h.set(RELAY_HEADERS.eventType, type);
  h.set(RELAY_HEADERS.recordedAt, recordedAt);
  return { data, headers: h };
}

describe('CALL_EVENTS messages', () => {
  it('decodes an event a callback reacts to, with the time the call log recorded it', () => {
    const data = callEvents.LegAnswered.encode({
      callId: 'C',
      legId: 'L',
      clientState: 'callback:cb1-1',
    }).finish();
    expect(decodeCallEvent(message('LegAnswered', data))).toEqual({
      event: { type: 'LegAnswered', data: { callId: 'C', legId: 'L', clientState: 'callback:cb1-1' } },
      recordedAt: new Date('2026-12-06T10:00:00.250Z'),
    });
  });

  it('leaves other types alone', () => {
    const data = callEvents.DtmfReceived.encode(
      callEvents.DtmfReceived.fromPartial({ callId: 'C' }),
    ).finish();
    expect(decodeCallEvent(message('DtmfReceived', data))).toBeUndefined();
  });

  it("finds the callback in the call's client_state, and nothing in another application's", () => {
    expect(callbackIdOfClientState('callback:cb0123-2')).toBe('cb0123-2');
    expect(callbackIdOfClientState('callback:')).toBeUndefined();
    expect(callbackIdOfClientState('my-app-state')).toBeUndefined();
  });
});
