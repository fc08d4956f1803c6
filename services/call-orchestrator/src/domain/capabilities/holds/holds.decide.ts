// Hold: the API's (HoldLeg/ResumeLeg) and a phone's own (its re-INVITE offering sendonly or inactive,
// reported by sip-edge as LegHoldChanged). A leg has one hold at a time: the API's takes over a phone's,
// and while the API holds a leg its phone's own hold and resume change nothing (sip-edge keeps the
// platform's direction on the leg, so the phone cannot take itself off the API's hold). The re-INVITE and
// the music are the app's (app/hold-media.ts), carried out after decide and before the append.
import { callEvents } from '@callctl/proto';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError } from '../../errors';
import { legHeldEvent, legResumedEvent } from './hold-events';
import { holdFingerprint } from './holds.state';

const { INITIATOR_API: API, INITIATOR_REMOTE: REMOTE } = callEvents.Initiator;
const none: Decision = { events: [] };

/** Which directions of a phone's offer put the platform on hold (RFC 3264 §8.4). */
const HELD_DIRECTIONS: ReadonlySet<string> = new Set(['sendonly', 'inactive']);

export const holdLeg = (s: Active, c: Cmd<'HoldLeg'>): Decision => {
  const d = c.data;
  const again = replay(s, c.metadata.idempotencyKey, holdFingerprint(d));
  if (again) return again;
  const l = answeredLeg(s, d.legId, 'be held');
  if (l.hold?.by === API) return { events: [], resultId: l.legId };
  return {
    events: [
      legHeldEvent(s, l.legId, {
        by: API,
        musicUri: d.musicUri,
        musicToPeer: d.musicToPeer,
        key: c.metadata.idempotencyKey ?? '',
      }),
    ],
    resultId: l.legId,
  };
};

/**
 * Only the API's hold is the API's to end; a leg it does not hold (or that ended) is left as it is. A
 * consultation's hold ends with the consultation (CompleteTransfer, CancelConsultation), not here.
 */
export const resumeLeg = (s: Active, c: Cmd<'ResumeLeg'>): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status !== 'answered' || l.hold?.by !== API) return none;
  if (l.hold.transferId)
    throw new IllegalStateError(
      `leg ${l.legId} is held by consultation ${l.hold.transferId}; complete or cancel it instead`,
      { callId: s.callId, legId: l.legId },
    );
  return { events: [legResumedEvent(s, l.legId, { by: API, transferId: l.hold.transferId })] };
};

export const recordLegHoldChanged = (s: Active, c: Cmd<'RecordLegHoldChanged'>): Decision => {
  const l = s.legs[c.data.legId];
  if (l?.status !== 'answered' || l.hold?.by === API) return none;
  const direction = c.data.direction;
  const holds = c.data.held && HELD_DIRECTIONS.has(direction);
  if (!holds) return l.hold?.by === REMOTE ? { events: [legResumedEvent(s, l.legId, { by: REMOTE })] } : none;
  // From sendonly to inactive (or back) the phone holds still, differently: recorded, as sip-edge reports
  // each change once.
  if (l.hold?.by === REMOTE && l.hold.direction === direction) return none;
  return { events: [legHeldEvent(s, l.legId, { by: REMOTE, direction })] };
};
