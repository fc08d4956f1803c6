import type { SessionModules } from './media-sessions.js';
import type { LocalPartyRecord } from './ports.js';
import { presenceLookup, type PresenceOf } from './worker-state.js';

export type RestartRecoveryDeps = SessionModules;

/**
 * Takes over what a previous run of the worker left (rtpengine kept the media running): each module takes
 * back its own records of sessions the relay still has and drops the others. Runs before the gRPC server
 * takes requests, so no request sees a half-restored worker. Records of kinds no module reads any more
 * (the bridge routes of older runs) are left to expire with the stream's max age.
 */
export async function recoverAfterRestart(deps: RestartRecoveryDeps): Promise<void> {
  const lookup = presenceLookup(deps.relay, deps.log);
  const presenceOf: PresenceOf = async (sessionId) => {
    const presence = await lookup(sessionId);
    if (presence !== 'gone') deps.watch.track(sessionId);
    return presence;
  };
  const [calls, playbacks, locals, inbandDtmf, injecting, routes] = await Promise.all([
    deps.calls.recover(presenceOf),
    deps.playback.recover(presenceOf),
    deps.echo.recover(presenceOf),
    deps.dtmf.recover(presenceOf),
    deps.dtmfSending.recover(presenceOf),
    deps.routes.recover(presenceOf),
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
      injectDtmf: injecting.kept,
      mixerRoutes: routes.kept,
      dropped:
        calls.dropped +
        playbacks.dropped +
        locals.dropped +
        inbandDtmf.dropped +
        injecting.dropped +
        routes.dropped,
    },
    'state of the previous run recovered',
  );
}
