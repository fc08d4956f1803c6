// Recording facts against a real nats-server with JetStream: a fact lands on CALLCTL_FACTS under
// facts.recording.<call id> with its fact id as Nats-Msg-Id and its per-recording sequence; while
// nats-server is down a fact waits and is stored once it is back, and a fact made again is stored once.
import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { connectBus, ensureFactsStream, FACTS_STREAM, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { facts } from '@callctl/proto';
import { startNatsServer, type NatsServerFixture } from '@callctl/testing';
import { RecordingFactReporting } from '../../app/fact-reporting.js';
import { partSavedFact, recorderStoppedFact } from '../../app/recording-facts.js';
import { recordingFactPublisher } from './recording-fact-publisher.js';

jest.setTimeout(60_000);

const log = createLogger({ service: 'recording-facts-test', level: 'silent' });

describe('recording facts on JetStream', () => {
  let server: NatsServerFixture;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let reporting: RecordingFactReporting;

  beforeAll(async () => {
    server = await startNatsServer();
    // Reconnect quickly, so that the outage test does not wait for the default backoff.
    nc = await connectBus({ servers: server.url, name: 'recording-facts-test', reconnectTimeWaitMs: 100 });
    await ensureFactsStream(nc);
    jsm = await jetstream(nc).jetstreamManager();
    reporting = new RecordingFactReporting(
      recordingFactPublisher(nc, { giveUpAfterMs: 30_000, attemptTimeoutMs: 500, log }),
      log,
    );
  });
  afterAll(async () => {
    await reporting.close(1000);
    await nc.close();
    await server.stop();
  });

  const ids = () => ({
    callId: `call-${randomUUID()}`,
    recordingId: `rec-${randomUUID().replace(/-/g, '')}`,
    occurredAtMs: Date.now(),
  });
  const saved = (part: number) => ({
    part,
    final: true,
    partial: false,
    durationMs: 1500,
    channels: 2,
    sampleRateHz: 8000,
    bytes: 48_044,
    sha256: 'ab'.repeat(32),
    totalDurationMs: 1500,
  });
  /** The facts stored under the call's subject, in order (the stream of this file is small: read it all). */
  const storedOf = async (callId: string) => {
    const subject = `facts.recording.${callId}`;
    const { state } = await jsm.streams.info(FACTS_STREAM);
    const stored = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(FACTS_STREAM, { seq });
      if (message?.subject !== subject) continue;
      stored.push({
        msgId: message.header.get('Nats-Msg-Id'),
        fact: facts.RecordingFact.decode(message.data),
      });
    }
    return stored;
  };

  it('stores each fact under facts.recording.<call id> with its fact id as message id, numbered per recording', async () => {
    const base = ids();
    reporting.report(recorderStoppedFact(base, 'silence'));
    reporting.report(partSavedFact(base, saved(1)));
    await reporting.reported(base.recordingId);

    const stored = await storedOf(base.callId);
    expect(stored.map((s) => s.fact.fact?.$case)).toEqual(['recorderStopped', 'recordingPartSaved']);
    for (const { msgId, fact } of stored) {
      expect(msgId).toBe(fact.factId);
      expect(fact).toMatchObject({ callId: base.callId, recordingId: base.recordingId });
    }
    expect(stored.map((s) => s.fact.sourceSequence)).toEqual([1, 2]);
    expect(stored[1]!.fact.fact).toEqual({ $case: 'recordingPartSaved', recordingPartSaved: saved(1) });
  });

  it('keeps a fact made while nats-server is down and stores it once the server is back', async () => {
    const base = ids();
    await server.halt();
    reporting.report(partSavedFact(base, saved(1)));
    // Long enough for several attempts to fail against the stopped server.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.restart();
    await reporting.reported(base.recordingId);

    const stored = await storedOf(base.callId);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.fact.fact?.$case).toBe('recordingPartSaved');
  });

  it('stores a fact made again (same recording, same part) once', async () => {
    const base = ids();
    reporting.report(partSavedFact(base, saved(1)));
    reporting.report(partSavedFact({ ...base, occurredAtMs: base.occurredAtMs + 5 }, saved(1)));
    await reporting.reported(base.recordingId);
    expect(await storedOf(base.callId)).toHaveLength(1);
  });
});
