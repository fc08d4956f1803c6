// Facts refused for good, kept in PostgreSQL (table fact_dead_letter, migration
// 20261206030000_fact_dead_letter of @callctl/db): the facts consumer terminates such a fact on JetStream
// and keeps it here, one row per fact id, so that nothing refused is lost from sight and nothing is
// redelivered forever. Why PostgreSQL rather than a JetStream stream: it is where the orchestrator already
// writes for every fact, a row is listed and filtered with plain SQL (by call, by kind, by time), and a
// refusal is kept even while NATS is the dependency that misbehaves.
import type pg from 'pg';

export interface FactDeadLetter {
  factId: string;
  /** '' when the fact could not be decoded. */
  callId: string;
  subject: string;
  /** The error kind that refused it (@callctl/errors), or `undecodable`. */
  kind: string;
  reason: string;
  payload: Uint8Array;
  streamSequence: number;
  /** JetStream's delivery count of the message when it was refused. */
  deliveryCount: number;
}

export interface FactDeadLetters {
  /** Keeps the fact (again: bumps last_seen_at and the delivery count). */
  keep(letter: FactDeadLetter, atMs: number): Promise<void>;
  /** The most recently refused facts first; of one call when `callId` is given. */
  list(options?: { callId?: string; limit?: number }): Promise<Array<FactDeadLetter & StoredTimes>>;
}

export interface StoredTimes {
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export function pgFactDeadLetters(pool: pg.Pool): FactDeadLetters {
  return {
    keep: async (l, atMs) => {
      await pool.query(
        `INSERT INTO fact_dead_letter AS d (fact_id, call_id, subject, kind, reason, payload, stream_sequence,
           first_seen_at, last_seen_at, delivery_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), to_timestamp($8 / 1000.0), $9)
         ON CONFLICT (fact_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
           delivery_count = greatest(d.delivery_count + 1, excluded.delivery_count),
           kind = excluded.kind, reason = excluded.reason`,
        [
          l.factId,
          l.callId,
          l.subject,
          l.kind,
          l.reason,
          Buffer.from(l.payload),
          l.streamSequence,
          atMs,
          l.deliveryCount,
        ],
      );
    },
    list: async ({ callId, limit = 100 } = {}) => {
      const { rows } = await pool.query<{
        fact_id: string;
        call_id: string;
        subject: string;
        kind: string;
        reason: string;
        payload: Buffer;
        stream_sequence: string;
        delivery_count: number;
        first_seen_at: Date;
        last_seen_at: Date;
      }>(
        `SELECT * FROM fact_dead_letter WHERE ($1::text IS NULL OR call_id = $1)
         ORDER BY last_seen_at DESC LIMIT $2`,
        [callId ?? null, limit],
      );
      return rows.map((r) => ({
        factId: r.fact_id,
        callId: r.call_id,
        subject: r.subject,
        kind: r.kind,
        reason: r.reason,
        payload: new Uint8Array(r.payload),
        streamSequence: Number(r.stream_sequence),
        deliveryCount: r.delivery_count,
        firstSeenAt: r.first_seen_at,
        lastSeenAt: r.last_seen_at,
      }));
    },
  };
}
