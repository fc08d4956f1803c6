import type { Logger } from '@callctl/logging';
import { NotFoundError } from '../domain/errors.js';
import type { SessionPresence } from '../domain/worker-state.js';
import type { DtmfDetection } from './operations/dtmf-detection.js';
import type { Echo } from './operations/echo.js';
import type { Playback } from './operations/playback.js';
import type { LocalPartyRecord, MediaRelay } from './ports.js';
import type { SessionCalls } from './session-calls.js';
import type { PresenceOf } from './worker-state.js';

export interface RestartRecoveryDeps {
  relay: MediaRelay;
  calls: SessionCalls;
  playback: Playback;
  echo: Echo;
  dtmf: DtmfDetection;
  log: Logger;
}

/** How many sessions are queried at once at start. */
const QUERY_CONCURRENCY = 16;

/**
 * Takes over what a previous run of the worker left (rtpengine kept the media running): each module takes
 * back its own records of sessions the relay still has and drops the others. Runs before the gRPC server
 * takes requests, so no request sees a half-restored worker. Records of kinds no module reads any more
 * (the bridge routes of older runs) are left to expire with the stream's max age.
 */
export async function recoverAfterRestart(deps: RestartRecoveryDeps): Promise<void> {
  const presenceOf = presenceLookup(deps);
  const [calls, playbacks, locals, inbandDtmf] = await Promise.all([
    deps.calls.recover(presenceOf),
    deps.playback.recover(presenceOf),
    deps.echo.recover(presenceOf),
    deps.dtmf.recover(presenceOf),
  ]);
  // Older runs kept a party's in-band detection in its local-party record: it gets a record of its own.
  for (const record of locals.live as Array<LocalPartyRecord & { detectDtmf?: boolean }>)
    if (record.detectDtmf === true)
      deps.dtmf.track({ sessionId: record.offer.sessionId, tag: record.offer.fromTag });
  deps.log.info(
    {
      sessionCalls: calls.kept,
      playbacks: playbacks.kept,
      localParties: locals.live.length,
      inbandDtmf: inbandDtmf.kept,
      dropped: calls.dropped + playbacks.dropped + locals.dropped + inbandDtmf.dropped,
    },
    'state of the previous run recovered',
  );
}

/**
 * Whether the relay still has a session, asked once per session (at most QUERY_CONCURRENCY at a time)
 * however many records name it. A session it cannot answer about is 'unknown', not gone.
 */
function presenceLookup(deps: RestartRecoveryDeps): PresenceOf {
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
      await deps.relay.querySession(sessionId);
      return 'present';
    } catch (error) {
      if (error instanceof NotFoundError) return 'gone';
      deps.log.warn({ err: error, sessionId }, 'rtpengine did not say whether a session is still there');
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
