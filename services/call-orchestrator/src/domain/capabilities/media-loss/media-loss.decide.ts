// A media session that vanished from rtpengine (MediaSessionLost from the media-worker): each leg whose
// media was in it gets LegMediaLost, and then, unless the command says only to record it, the leg ends with
// END_CAUSE_MEDIA_TIMEOUT, so the log never calls a leg without audio answered. The action comes in the
// command (the app's configuration, MEDIA_LOST_ACTION); the SIP hangup that goes with it is the app's
// (app/capabilities/media-loss.effects.ts).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState } from '../../call.state';
import type { Active, Cmd, Decision } from '../../call.guards';
import type { DecideContext } from '../capability';

import { MEDIA_LOST_ACTIONS, type MediaLostAction } from './media-lost-actions';

export { MEDIA_LOST_ACTIONS, type MediaLostAction };

/** Legs still up whose media is (now) in the lost session and that have not been recorded losing it. */
function legsIn(s: Active, sessionId: string) {
  return Object.values(s.legs).filter(
    (l) => l.status !== 'ended' && l.media.sessionId === sessionId && s.mediaLost[l.legId] !== sessionId,
  );
}

export function recordMediaSessionLost(
  s: Active,
  c: Cmd<'RecordMediaSessionLost'>,
  ctx: DecideContext,
): Decision {
  const { sessionId, reason, action } = c.data;
  const hit = legsIn(s, sessionId);
  const lost: CallEvent[] = hit.map((l) => ({
    type: 'LegMediaLost',
    data: { callId: s.callId, legId: l.legId, mediaSessionId: sessionId, reason, clientState: s.clientState },
  }));
  if (action === MEDIA_LOST_ACTIONS.record) return { events: lost };
  const out: CallEvent[] = [...lost];
  let cur: CallState = lost.reduce(ctx.evolve, s as CallState);
  for (const l of hit) {
    if (cur.status !== 'active') break;
    const now = cur.legs[l.legId];
    if (!now || now.status === 'ended') continue;
    const ended = ctx.endLeg(cur, now, callEvents.EndCause.END_CAUSE_MEDIA_TIMEOUT, 0, reason);
    out.push(...ended);
    cur = ended.reduce(ctx.evolve, cur);
  }
  return { events: out };
}

/** Nothing left to record: no leg up is in the session without its loss recorded. */
export const mediaLossSettled = (s: Active, c: Cmd<'RecordMediaSessionLost'>): boolean =>
  legsIn(s, c.data.sessionId).length === 0;
