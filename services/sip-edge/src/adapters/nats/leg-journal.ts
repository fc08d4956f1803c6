import {
  ensureStream,
  SIP_EDGE_LEGS_STREAM,
  SIP_EDGE_LEGS_SUBJECTS,
  sipEdgeLegSubject,
  sipEdgeLegsOf,
  type NatsConnection,
} from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { JournalEntry, LegJournal } from '../../app/leg-journal.js';

export interface NatsLegJournalOptions {
  nc: NatsConnection;
  log: Logger;
  /** This sip-edge's name: each instance recovers only its own legs. */
  instance: string;
  /** Deadline of reading the journal back at start. @default 5000 */
  recoverTimeoutMs?: number;
}

/** A forgotten leg: the last message of its subject says so. */
interface Tombstone {
  ended: true;
}

const RECORD_MAX_AGE_MS = 24 * 3_600_000;

/**
 * LegJournal on JetStream stream SIP_EDGE_LEGS, one subject per leg and only its last message kept:
 * recording a leg and forgetting it (a tombstone) are single publishes sent in call order on one
 * connection, so the stream holds the latest state of each leg.
 */
export class NatsLegJournal implements LegJournal {
  private readonly js;

  private constructor(private readonly options: NatsLegJournalOptions) {
    this.js = jetstream(options.nc);
  }

  static async open(options: NatsLegJournalOptions): Promise<NatsLegJournal> {
    await ensureStream(options.nc, {
      name: SIP_EDGE_LEGS_STREAM,
      subjects: [SIP_EDGE_LEGS_SUBJECTS],
      maxMsgsPerSubject: 1,
      maxAgeMs: RECORD_MAX_AGE_MS,
    });
    return new NatsLegJournal(options);
  }

  record(entry: JournalEntry): void {
    this.write(entry.legId, entry);
  }

  forget(legId: string): void {
    this.write(legId, { ended: true } satisfies Tombstone);
  }

  async recover(): Promise<JournalEntry[]> {
    const consumer = await this.js.consumers.get(SIP_EDGE_LEGS_STREAM, {
      filter_subjects: sipEdgeLegsOf(this.options.instance),
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const found: JournalEntry[] = [];
    const info = await consumer.info(true);
    let pending = info.num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(pending, 256),
        expires: this.options.recoverTimeoutMs ?? 5000,
      });
      let got = 0;
      for await (const message of batch) {
        got += 1;
        const value = message.json<JournalEntry | Tombstone>();
        if (!('ended' in value)) found.push(value);
      }
      if (got === 0) break;
      pending -= got;
    }
    return found;
  }

  private write(legId: string, value: JournalEntry | Tombstone): void {
    const subject = sipEdgeLegSubject(this.options.instance, legId);
    this.js
      .publish(subject, JSON.stringify(value))
      .catch((error: unknown) => this.options.log.warn({ err: error, legId }, 'leg journal write lost'));
  }
}
