import {
  ensureRecordStream,
  RecordTable,
  SIP_EDGE_LEGS_STREAM,
  SIP_EDGE_LEGS_SUBJECTS,
  sipEdgeLegSubject,
  sipEdgeLegsOf,
  type NatsConnection,
} from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import type { JournalEntry, LegJournal } from '../../app/leg-journal.js';

export interface NatsLegJournalOptions {
  nc: NatsConnection;
  log: Logger;
  /** This sip-edge's name: each instance recovers only its own legs. */
  instance: string;
  /** Deadline of reading the journal back at start. @default 5000 */
  recoverTimeoutMs?: number;
}

/**
 * LegJournal on JetStream stream SIP_EDGE_LEGS (a record table of libs/bus, one subject per leg): recording
 * a leg and forgetting it are single publishes sent in call order on one connection, so the stream holds
 * the latest state of each leg. Writes are not waited for (SIP never waits for the journal); a lost one is
 * logged.
 */
export class NatsLegJournal implements LegJournal {
  private constructor(
    private readonly table: RecordTable<JournalEntry>,
    private readonly log: Logger,
  ) {}

  static async open(options: NatsLegJournalOptions): Promise<NatsLegJournal> {
    await ensureRecordStream(options.nc, SIP_EDGE_LEGS_STREAM, SIP_EDGE_LEGS_SUBJECTS);
    const table = new RecordTable<JournalEntry>({
      nc: options.nc,
      stream: SIP_EDGE_LEGS_STREAM,
      subjectOf: (legId) => sipEdgeLegSubject(options.instance, legId),
      filter: sipEdgeLegsOf(options.instance),
      timeoutMs: options.recoverTimeoutMs,
    });
    return new NatsLegJournal(table, options.log);
  }

  record(entry: JournalEntry): void {
    this.settle(entry.legId, this.table.put(entry.legId, entry));
  }

  forget(legId: string): void {
    this.settle(legId, this.table.delete(legId));
  }

  async recover(): Promise<JournalEntry[]> {
    return (await this.table.all()).map((record) => record.value);
  }

  private settle(legId: string, write: Promise<void>): void {
    write.catch((error: unknown) => this.log.warn({ err: error, legId }, 'leg journal write lost'));
  }
}
