import { facts } from '@callctl/proto';
import { recordingFactSubject, streamFactSubject } from '@callctl/bus';
import { nameUuid } from '../ids.js';
import { decodeFact } from './facts-consumer.js';

const ids = { next: () => 'fresh', fromName: nameUuid };

describe('decodeFact', () => {
  it("takes the recording service's facts from facts.recording.<call id>, ids derived from the fact", () => {
    const fact: facts.RecordingFact = {
      factId: 'f-1',
      callId: 'c-1',
      recordingId: 'rec-1',
      fact: { $case: 'recorderFailed', recorderFailed: { reason: 'disk full' } },
      sourceSequence: 3,
      occurredAtMs: 10,
    };
    const decoded = decodeFact(
      { subject: recordingFactSubject('c-1'), data: facts.RecordingFact.encode(fact).finish() },
      42,
      ids,
    );
    expect(decoded).toMatchObject({
      callId: 'c-1',
      factId: 'f-1',
      command: {
        type: 'RecordRecordingFailed',
        data: { recordingId: 'rec-1', reason: 'disk full' },
        metadata: { now: 42, newId: nameUuid('fact', 'f-1') },
      },
    });
  });

  it("takes the stream gateway's facts from facts.stream.<call id>", () => {
    const fact: facts.StreamFact = {
      factId: 'f-2',
      callId: 'c-1',
      streamId: 'str-1',
      fact: {
        $case: 'streamClosed',
        streamClosed: { reason: 2, detail: 'bye', framesSent: 50, framesDropped: 1, reconnects: 0 },
      },
      sourceSequence: 4,
      occurredAtMs: 10,
    };
    const decoded = decodeFact(
      { subject: streamFactSubject('c-1'), data: facts.StreamFact.encode(fact).finish() },
      42,
      ids,
    );
    expect(decoded).toMatchObject({
      callId: 'c-1',
      factId: 'f-2',
      order: { source: 'stream', sequence: 0 },
      command: {
        type: 'RecordStreamClosed',
        data: {
          streamId: 'str-1',
          reason: 2,
          detail: 'bye',
          framesSent: 50,
          framesDropped: 1,
          reconnects: 0,
        },
        metadata: { now: 42, newId: nameUuid('fact', 'f-2') },
      },
    });
  });

  it('refuses a subject it has no fact type for', () => {
    expect(() => decodeFact({ subject: 'facts.other.c-1', data: new Uint8Array() }, 42, ids)).toThrow(
      /no fact type for subject facts.other.c-1/,
    );
  });
});
