import type { Logger } from '@callctl/logging';
import { NotFoundError } from '../domain/errors.js';
import { survivesRestart, type SessionPresence } from '../domain/worker-state.js';
import type { NgClient } from '../adapters/rtpengine/ng-client.js';
import { querySession } from '../adapters/rtpengine/session-commands.js';
import type { MediaSessions } from './media-sessions.js';
import type { Playback } from './playback.js';
import { keep, type StateTable, type WorkerState } from './worker-state.js';

export interface RestartRecoveryDeps {
  ng: NgClient;
  state: WorkerState;
  sessions: MediaSessions;
  playback: Playback;
  log: Logger;
}

/** How many sessions are queried at once at start. */
const QUERY_CONCURRENCY = 16;

/**
 * Takes over what a previous run of the worker left (rtpengine kept the media running): bridge routes and
 * locally answered sessions come back, running playbacks are resumed (reported at once when their end
 * passed meanwhile). Records of sessions rtpengine no longer has are dropped. Runs before the gRPC server
 * takes requests, so a Play to a bridged leg never sees a half-restored worker.
 */
export async function recoverAfterRestart(deps: RestartRecoveryDeps): Promise<void> {
  const { state, log } = deps;
  const [playbacks, bridges, locals] = await Promise.all([
    state.playbacks.all(),
    state.bridges.all(),
    state.localSessions.all(),
  ]);
  const presence = await presenceOf(deps, [
    ...playbacks.map((r) => r.value.sessionId),
    ...bridges.map((r) => r.value.sessionId),
    ...locals.map((r) => r.value.offer.sessionId),
  ]);
  const surviving = async <T>(
    table: StateTable<T>,
    records: Array<{ id: string; value: T }>,
    sessionOf: (value: T) => string,
  ): Promise<T[]> => {
    const survives = ({ value }: { value: T }) =>
      survivesRestart(presence.get(sessionOf(value)) ?? 'unknown');
    await Promise.all(
      records
        .filter((record) => !survives(record))
        .map(({ id }) => keep(log, 'dropped record', table.delete(id))),
    );
    return records.filter(survives).map(({ value }) => value);
  };
  const liveBridges = await surviving(state.bridges, bridges, (r) => r.sessionId);
  const liveLocals = await surviving(state.localSessions, locals, (r) => r.offer.sessionId);
  const livePlaybacks = await surviving(state.playbacks, playbacks, (r) => r.sessionId);
  for (const record of liveBridges) deps.sessions.restoreBridge(record);
  for (const record of liveLocals) deps.sessions.restoreLocal(record);
  for (const record of livePlaybacks) deps.playback.resume(record);
  const found = playbacks.length + bridges.length + locals.length;
  const live = liveBridges.length + liveLocals.length + livePlaybacks.length;
  log.info(
    {
      bridges: liveBridges.length,
      localSessions: liveLocals.length,
      playbacks: livePlaybacks.length,
      dropped: found - live,
    },
    'state of the previous run recovered',
  );
}

/** Asks rtpengine about each session once; a session it cannot answer about is 'unknown', not gone. */
async function presenceOf(
  deps: RestartRecoveryDeps,
  sessionIds: string[],
): Promise<Map<string, SessionPresence>> {
  const pending = [...new Set(sessionIds)];
  const presence = new Map<string, SessionPresence>();
  const worker = async () => {
    for (let sessionId = pending.pop(); sessionId !== undefined; sessionId = pending.pop()) {
      presence.set(sessionId, await presenceOfSession(deps, sessionId));
    }
  };
  await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, worker));
  return presence;
}

async function presenceOfSession(deps: RestartRecoveryDeps, sessionId: string): Promise<SessionPresence> {
  try {
    await querySession(deps.ng, sessionId);
    return 'present';
  } catch (error) {
    if (error instanceof NotFoundError) return 'gone';
    deps.log.warn(
      { err: error, callId: sessionId },
      'rtpengine did not say whether a session is still there',
    );
    return 'unknown';
  }
}
