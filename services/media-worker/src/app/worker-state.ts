import type { Logger } from '@callctl/logging';
import { survivesRestart, type SessionPresence } from '../domain/worker-state.js';
import type { StateTable } from './ports.js';

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
