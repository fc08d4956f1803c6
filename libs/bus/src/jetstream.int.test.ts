import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { callEvents } from '@callctl/proto';
import { startNatsServer, type NatsServerFixture } from '@callctl/testing';
import { connectBus, type NatsConnection } from './connection.js';
import { consumeDurable, ensureCallEventsStream, ensureFactsStream } from './jetstream.js';
import { DurablePublishError, publishDurably } from './durable-publish.js';
import { publishToStream, StreamPublishError } from './stream-publish.js';
import { publishMessage, requestMessage, respondMessage, subscribeMessages } from './messages.js';
import { CALL_EVENTS_STREAM, callEventSubject, mediaFactSubject } from './subjects.js';
import { traceContextOf, tracedHeaders } from './trace-headers.js';
import { headers } from '@nats-io/nats-core';

let server: NatsServerFixture;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectBus({ servers: server.url, name: 'bus-test' });
});
afterAll(async () => {
  await nc.close();
  await server.stop();
});

describe('bus: subjects', () => {
  it('spells a call event subject from the call id and the snake_case of the type', () => {
    expect(callEventSubject('7f3c', 'LegAnswered')).toBe('calls.7f3c.leg_answered');
    expect(callEventSubject('7f3c', 'CallCreated')).toBe('calls.7f3c.call_created');
    expect(() => callEventSubject('a.b', 'LegAnswered')).toThrow();
  });
});

describe('bus: JetStream', () => {
  it('creates CALL_EVENTS idempotently with the configured duplicate window', async () => {
    const first = await ensureCallEventsStream(nc, { duplicateWindowMs: 120_000 });
    const again = await ensureCallEventsStream(nc, { duplicateWindowMs: 300_000 });
    expect(first.config.name).toBe(CALL_EVENTS_STREAM);
    expect(again.config.duplicate_window).toBe(300_000 * 1_000_000);
  });

  it('delivers a published protobuf event to a durable consumer once, and drops a duplicate message id', async () => {
    await ensureCallEventsStream(nc);
    const callId = randomUUID();
    const subject = callEventSubject(callId, 'LegAnswered');
    const js = jetstream(nc);
    const payload = callEvents.LegAnswered.encode(
      callEvents.LegAnswered.fromPartial({ callId, legId: 'A' }),
    ).finish();
    const msgID = randomUUID();
    const ack1 = await js.publish(subject, payload, { msgID });
    const ack2 = await js.publish(subject, payload, { msgID });
    expect(ack1.duplicate).toBe(false);
    expect(ack2.duplicate).toBe(true);
    const messages = await consumeDurable(nc, {
      stream: CALL_EVENTS_STREAM,
      durableName: `smoke-${callId.slice(0, 8)}`,
      filterSubject: `calls.${callId}.*`,
    });
    const received: callEvents.LegAnswered[] = [];
    for await (const m of messages) {
      received.push(callEvents.LegAnswered.decode(m.data));
      m.ack();
      if (m.info.pending === 0) break;
    }
    await messages.close();
    expect(received).toEqual([callEvents.LegAnswered.fromPartial({ callId, legId: 'A' })]);
  });
});

describe('bus: core request/reply', () => {
  it('answers a typed protobuf request within its deadline', async () => {
    const subject = `test.${randomUUID()}`;
    const sub = subscribeMessages(nc, subject, callEvents.LegAnswered);
    void (async () => {
      for await (const msg of sub) respondMessage(msg, callEvents.LegAnswered, { ...msg.data, legId: 'B' });
    })();
    const reply = await requestMessage(
      nc,
      subject,
      callEvents.LegAnswered,
      callEvents.LegAnswered.fromPartial({ callId: 'c', legId: 'A' }),
      callEvents.LegAnswered,
      { timeoutMs: 5000 },
    );
    expect(reply).toMatchObject({ callId: 'c', legId: 'B' });
    publishMessage(
      nc,
      subject,
      callEvents.LegAnswered,
      callEvents.LegAnswered.fromPartial({ callId: 'c', legId: 'A' }),
    );
    await sub.close();
  });

  it('fails a request with no responder instead of waiting forever', async () => {
    await expect(
      requestMessage(
        nc,
        `nobody.${randomUUID()}`,
        callEvents.LegAnswered,
        callEvents.LegAnswered.fromPartial({ callId: 'c', legId: 'A' }),
        callEvents.LegAnswered,
        {
          timeoutMs: 500,
        },
      ),
    ).rejects.toThrow();
  });
});

describe('bus: trace propagation', () => {
  it('carries a W3C traceparent from the publisher to the subscriber', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const parent = traceContextOf(headers());
    const h = headers();
    h.set('traceparent', traceparent);
    const ctx = traceContextOf(h);
    expect(ctx).not.toBe(parent);
    const subject = `trace.${randomUUID()}`;
    const sub = subscribeMessages(nc, subject, callEvents.LegAnswered);
    publishMessage(
      nc,
      subject,
      callEvents.LegAnswered,
      callEvents.LegAnswered.fromPartial({ callId: 'c' }),
      tracedHeaders(undefined, ctx),
    );
    for await (const msg of sub) {
      expect(msg.headers?.get('traceparent')).toBe(traceparent);
      expect(tracedHeaders(undefined, msg.traceContext).get('traceparent')).toBe(traceparent);
      break;
    }
    await sub.close();
  });
});

describe('bus: durable publish', () => {
  it('is stored once when published twice with the same message id', async () => {
    await ensureFactsStream(nc);
    const subject = mediaFactSubject(randomUUID());
    const message = callEvents.LegAnswered.fromPartial({ callId: 'c', legId: 'A' });
    const msgId = randomUUID();
    const options = { msgId, giveUpAfterMs: 5000 };
    const first = await publishDurably(nc, subject, callEvents.LegAnswered, message, options);
    const again = await publishDurably(nc, subject, callEvents.LegAnswered, message, options);
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
  });

  it('retries a subject no stream stores, then gives up with DurablePublishError', async () => {
    const retries: number[] = [];
    const error = await publishDurably(
      nc,
      `nostream.${randomUUID()}`,
      callEvents.LegAnswered,
      callEvents.LegAnswered.fromPartial({ callId: 'c' }),
      {
        msgId: randomUUID(),
        giveUpAfterMs: 300,
        attemptTimeoutMs: 100,
        initialBackoffMs: 20,
        onRetry: (attempt) => retries.push(attempt),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DurablePublishError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', attempts: retries.length + 1 });
    expect(retries.length).toBeGreaterThan(0);
  });
});

describe('bus: publish to a stream', () => {
  it('resolves with the stored sequence, marks a repeated message id as a duplicate and keeps the headers', async () => {
    await ensureFactsStream(nc);
    const subject = mediaFactSubject(randomUUID());
    const msgId = randomUUID();
    const h = headers();
    h.set('Callctl-Test', 'kept');
    const first = await publishToStream(nc, subject, 'one', { msgId, headers: h, timeoutMs: 2000 });
    const again = await publishToStream(nc, subject, 'one', { msgId, timeoutMs: 2000 });
    const other = await publishToStream(nc, subject, 'two', { timeoutMs: 2000 });
    expect(first).toEqual({ stream: 'CALLCTL_FACTS', seq: expect.any(Number), duplicate: false });
    expect(again).toEqual({ stream: 'CALLCTL_FACTS', seq: first.seq, duplicate: true });
    expect(other.seq).toBeGreaterThan(first.seq);
    const stored = await (
      await jetstream(nc).jetstreamManager()
    ).streams.getMessage('CALLCTL_FACTS', {
      seq: first.seq,
    });
    expect(stored!.header.get('Callctl-Test')).toBe('kept');
    expect(stored!.header.get('Nats-Msg-Id')).toBe(msgId);
  });

  it('refuses a subject no stream stores at once, a subject nobody acks after its timeout, and a closed connection', async () => {
    const noStream = await publishToStream(nc, `nostream.${randomUUID()}`, 'x', { timeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(noStream).toBeInstanceOf(StreamPublishError);
    expect(noStream).toMatchObject({ failure: 'no-stream', code: 'UNAVAILABLE' });

    const silent = `silent.${randomUUID()}`;
    const sub = nc.subscribe(silent); // receives, never answers
    const timedOut = await publishToStream(nc, silent, 'x', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ failure: 'timeout' });
    sub.unsubscribe();

    const other = await connectBus({ servers: server.url, name: 'bus-test-closing' });
    const pending = publishToStream(other, silent, 'x', { timeoutMs: 5000 }).catch((e: unknown) => e);
    await other.close();
    expect(await pending).toMatchObject({ failure: 'closed' });
    expect(
      await publishToStream(other, silent, 'x', { timeoutMs: 5000 }).catch((e: unknown) => e),
    ).toMatchObject({
      failure: 'closed',
    });
  });
});
