import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { facts } from '@callctl/proto';
import { FACTS_STREAM, mediaFactSubject, type NatsConnection } from '@callctl/bus';
import { waitFor } from '@callctl/testing';

/** Reads the media facts JetStream stored for a call, as the orchestrator's consumer would get them. */
export interface StoredFacts {
  /** How many facts facts.media.<callId> holds now. */
  count(callId: string): Promise<number>;
  /** The facts stored on facts.media.<callId>, in stream order. */
  of(callId: string): Promise<facts.MediaFact[]>;
  /** Waits until at least n facts are stored (20 s at most), then reads them. */
  once(callId: string, n: number): Promise<facts.MediaFact[]>;
}

export async function storedFacts(nc: NatsConnection): Promise<StoredFacts> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const count = async (callId: string): Promise<number> => {
    const subject = mediaFactSubject(callId);
    const info = await jsm.streams.info(FACTS_STREAM, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  };
  const of = async (callId: string): Promise<facts.MediaFact[]> => {
    const n = await count(callId);
    if (n === 0) return [];
    // An ephemeral consumer on the one subject (filter_subject: this nats-server predates filter_subjects).
    const { name } = await jsm.consumers.add(FACTS_STREAM, {
      filter_subject: mediaFactSubject(callId),
      ack_policy: AckPolicy.None,
      inactive_threshold: nanos(30_000),
    });
    const consumer = await jetstream(nc).consumers.get(FACTS_STREAM, name);
    const out: facts.MediaFact[] = [];
    for await (const message of await consumer.fetch({ max_messages: n, expires: 5000 })) {
      out.push(facts.MediaFact.decode(message.data));
      if (out.length === n) break;
    }
    await consumer.delete();
    return out;
  };
  const once = async (callId: string, n: number) => {
    await waitFor(
      `${n} facts on ${mediaFactSubject(callId)}`,
      async () => (await count(callId)) >= n,
      20_000,
      100,
    );
    return of(callId);
  };
  return { count, of, once };
}
