// The consumer against a real nats-server with JetStream: a callback's events reach the core in the order
// the call log recorded them, even when the reaction to one of them has to be retried (the database down).
import { connectBus, ensureCallEventsStream, type NatsConnection } from '@callctl/bus';
import { RELAY_HEADERS } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { headers } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import type { CallEventIn } from '../../domain/callback.decide.js';
import { startCallEventsConsumer, type CallEventsConsumer } from './call-events-consumer.js';

const log = createLogger({ service: 'call-events-consumer-test', level: 'silent' });

describe('CALL_EVENTS consumer', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let consumer: CallEventsConsumer | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'consumer-test' });
    await ensureCallEventsStream(nc);
  });
  afterAll(async () => {
    await consumer?.close();
    await nc.drain();
    await nats.stop();
  });

  async function publish(type: 'LegRinging' | 'LegAnswered', legId: string, clientState: string) {
    const h = headers();
    h.set(RELAY_HEADERS.eventType, type);
    h.set(RELAY_HEADERS.recordedAt, new Date().toISOString());
    const codec = type === 'LegRinging' ? callEvents.LegRinging : callEvents.LegAnswered;
    const data = codec.encode(codec.fromPartial({ callId: 'C1', legId, clientState })).finish();
    await jetstream(nc).publish(`calls.C1.${type === 'LegRinging' ? 'leg_ringing' : 'leg_answered'}`, data, {
      headers: h,
    });
  }

  it("holds a callback's next event until the reaction to the one before it is recorded", async () => {
    const seen: string[] = [];
    let failures = 2;
    consumer = await startCallEventsConsumer({
      nc,
      durableName: 'order-test',
      log,
      retryInitialMs: 20,
      onCallEvent: async (callbackId: string, event: CallEventIn) => {
        const what = `${callbackId} ${event.type}`;
        if (event.type === 'LegRinging' && failures-- > 0) {
          seen.push(`${what} failed`);
          throw new Error('event log (PostgreSQL) unavailable');
        }
        seen.push(what);
        return Promise.resolve();
      },
    });
    await publish('LegRinging', 'L1', 'callback:cb1-1');
    await publish('LegAnswered', 'L1', 'callback:cb1-1');
    await publish('LegAnswered', 'L9', 'another-application');
    await waitFor('both events handled', () => seen.length === 4 || undefined, 10_000);
    expect(seen).toEqual([
      'cb1-1 LegRinging failed',
      'cb1-1 LegRinging failed',
      'cb1-1 LegRinging',
      'cb1-1 LegAnswered',
    ]);
  });
});
