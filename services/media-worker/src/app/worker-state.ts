import type { Logger } from '@callctl/logging';
import type { BridgeRecord, PlaybackRecord } from '../domain/worker-state.js';
import type { OfferParams } from '../adapters/rtpengine/session-commands.js';

/** A session the worker answered itself: the caller's last offer, kept to re-negotiate echo on and off. */
export interface LocalSessionRecord {
  offer: OfferParams;
  localTag: string;
  detectDtmf: boolean;
}

/** Records of one kind, by id; a put replaces, a delete of a missing id is fine. */
export interface StateTable<T> {
  put(id: string, value: T): Promise<void>;
  delete(id: string): Promise<void>;
  /** Every record with its id, read once at start. */
  all(): Promise<Array<{ id: string; value: T }>>;
}

/** What the worker keeps outside its memory so that a restart (even kill -9) loses none of it. */
export interface WorkerState {
  /** By partyKey(session, tag): one playback per party, as in rtpengine. */
  playbacks: StateTable<PlaybackRecord>;
  /** By bridge session id. */
  bridges: StateTable<BridgeRecord>;
  /** By partyKey(session, caller's tag): a session can hold several locally answered parties. */
  localSessions: StateTable<LocalSessionRecord>;
}

/** One party of an rtpengine session: its playback, its local answer. */
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
