import type { eventlog } from '@callctl/proto';

/** The envelope of an event of call c1 at a log position, recorded at 10:15:02.120 UTC. */
export function envelopeAt(type: string, globalPosition: number): eventlog.EventEnvelope {
  return {
    eventId: `e${globalPosition}`,
    streamId: 'call-c1',
    streamVersion: globalPosition,
    globalPosition,
    type,
    payloadType: `callctl.events.v1.${type}`,
    payload: Buffer.alloc(0),
    metadata: undefined,
    recordedAt: new Date('2026-11-23T10:15:02.120Z'),
    schemaVersion: 1,
  };
}
