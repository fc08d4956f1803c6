// WatchEvents names each payload by its oneof case, the new event types of #12 included (cases 19-21).
import { callEventCodecs, type RecordedEvent } from '@callctl/eventstore';
import { watchResponse } from './watch-events.js';

const recorded = (type: string, data: unknown): RecordedEvent => ({
  eventId: '00000000-0000-7000-8000-000000000001',
  streamId: 'call-c1',
  streamVersion: 4,
  globalPosition: 9,
  type,
  data,
  metadata: { recordedAt: new Date(0) },
  schemaVersion: 1,
});

describe('watchResponse', () => {
  const codecs = callEventCodecs();
  it.each([
    ['DtmfSent', { callId: 'c1', legId: 'l1', digits: '12#', method: 'DTMF_METHOD_INFO', durationMs: 100 }],
    ['DtmfDetectionChanged', { callId: 'c1', legId: 'l1', inband: true }],
    ['CallMaxDurationSet', { callId: 'c1', maxDurationMs: 60000 }],
  ])('decodes %s into its own case', (type, data) => {
    const r = watchResponse(recorded(type, data), codecs);
    const name = type.charAt(0).toLowerCase() + type.slice(1);
    expect(r.event?.$case).toBe(name);
    expect((r.event as unknown as Record<string, unknown>)[name]).toEqual(
      expect.objectContaining(
        type === 'DtmfSent'
          ? { digits: '12#', method: 2, durationMs: 100 }
          : type === 'CallMaxDurationSet'
            ? { maxDurationMs: 60000 }
            : { inband: true },
      ),
    );
    expect(r.envelope?.type).toBe(type);
  });
});
