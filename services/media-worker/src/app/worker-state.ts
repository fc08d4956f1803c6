import type { Logger } from '@callctl/logging';
import { NotFoundError } from '../domain/errors.js';
import { survivesRestart, type SessionPresence } from '../domain/worker-state.js';
import type { MediaRelay, StateTable } from './ports.js';

/** One party of an rtpengine session: its playback, its local answer, its DTMF detector. */
export const partyKey = (sessionId: string, tag: string) => `${sessionId}\u0000${tag}`;

/**
 * Waits for a state write and logs it when it fails instead of failing the media operation: the call's
 * audio matters more than what a later restart would remember of it.
 */
export async function keep(log: Logger, what: string, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    log.warn({ err: error, what }, 'worker state not written; a restart would forget it');
  }
}

/** Whether the relay still has a session; asked once per session however many records name it. */
export type PresenceOf = (sessionId: string) => Promise<SessionPresence>;

/**
 * The records a previous run of the worker left in `table` whose session the relay still has (or could not
 * say); the others are removed from the table. Each module that keeps records recovers its own through this.
 */
export async function survivingRecords<T>(
  table: StateTable<T>,
  sessionOf: (value: T) => string,
  presenceOf: PresenceOf,
  log: Logger,
): Promise<{ live: T[]; dropped: number }> {
  const records = await table.all();
  const live: T[] = [];
  let dropped = 0;
  await Promise.all(
    records.map(async ({ id, value }) => {
      if (survivesRestart(await presenceOf(sessionOf(value)))) {
        live.push(value);
        return;
      }
      dropped += 1;
      await keep(log, 'dropped record', table.delete(id));
    }),
  );
  return { live, dropped };
}

/**
 * survivingRecords of a table keyed by its records' own session, each surviving record handed to `take`
 * (the module keeps it in memory again); counts for the start-up log.
 */
export async function recoverRecords<T extends { sessionId: string }>(
  table: StateTable<T>,
  presenceOf: PresenceOf,
  log: Logger,
  take: (record: T) => void,
): Promise<{ kept: number; dropped: number }> {
  const { live, dropped } = await survivingRecords(table, (r) => r.sessionId, presenceOf, log);
  for (const record of live) take(record);
  return { kept: live.length, dropped };
}

/** How many sessions are queried at once (at start, and by the vanished-session check). */
const QUERY_CONCURRENCY = 16;

/**
 * Whether the relay still has a session, asked once per session (at most QUERY_CONCURRENCY at a time)
 * however many records name it. A session it cannot answer about is 'unknown', not gone.
 */
export function presenceLookup(relay: Pick<MediaRelay, 'querySession'>, log: Logger): PresenceOf {
  const asked = new Map<string, Promise<SessionPresence>>();
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async () => {
    if (running < QUERY_CONCURRENCY) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  // A waiting query takes the slot over as it is freed.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  const ask = async (sessionId: string): Promise<SessionPresence> => {
    await slot();
    try {
      await relay.querySession(sessionId);
      return 'present';
    } catch (error) {
      if (error instanceof NotFoundError) return 'gone';
      log.warn({ err: error, sessionId }, 'rtpengine did not say whether a session is still there');
      return 'unknown';
    } finally {
      release();
    }
  };
  return (sessionId) => {
    let presence = asked.get(sessionId);
    if (!presence) asked.set(sessionId, (presence = ask(sessionId)));
    return presence;
  };
}
