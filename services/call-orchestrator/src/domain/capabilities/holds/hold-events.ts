// The LegHeld and LegResumed events, built alike for HoldLeg/ResumeLeg, a phone's own hold, and a
// consultation (the transfers capability holds the transferee with its transfer id).
import type { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Active } from '../../call.guards';

export const legHeldEvent = (
  s: Active,
  legId: string,
  h: {
    by: callEvents.Initiator;
    /** API: what the held party hears (''/absent: silence). */
    musicUri?: string;
    musicToPeer?: boolean;
    /** REMOTE: the direction the phone offered. */
    direction?: string;
    transferId?: string;
    /** The idempotency key of the request that held it. */
    key?: string;
  },
): CallEvent => ({
  type: 'LegHeld',
  data: {
    callId: s.callId,
    legId,
    by: h.by,
    musicUri: h.musicUri ?? '',
    musicToPeer: h.musicToPeer ?? false,
    direction: h.direction ?? '',
    clientState: s.clientState,
    idempotencyKey: h.key ?? '',
    transferId: h.transferId ?? '',
  },
});

export const legResumedEvent = (
  s: Active,
  legId: string,
  r: { by: callEvents.Initiator; transferId?: string },
): CallEvent => ({
  type: 'LegResumed',
  data: {
    callId: s.callId,
    legId,
    by: r.by,
    clientState: s.clientState,
    transferId: r.transferId ?? '',
  },
});
