// SetLegDirection: the platform holds a leg (sendonly: it still sends, music; inactive: nothing) or takes
// the hold off (sendrecv), by a re-INVITE with the media the dialog has: its current local SDP with the
// direction of every audio stream replaced and the o= version raised (RFC 3264 §8.4). rtpengine is not
// asked: the media path does not change, only what the phone sends. The direction is remembered on the leg,
// so SDP passed to it later keeps it (leg-sdp.ts).
import { IllegalStateError, ValidationError } from '../domain/errors.js';
import { directionOf, nextLocalSdp, withDirection, type Direction } from '../domain/sdp-direction.js';
import type { LegContext } from './leg-context.js';
import { dialogOf, idsOf, type Leg } from './leg-registry.js';
import { mediaMoving, reInvite } from './platform-reinvite.js';

/** The directions the platform may give a leg. */
export type PlatformDirection = 'sendrecv' | 'sendonly' | 'inactive';

/** Sets the direction; resolves with the direction the phone answered with (or has, when nothing changed). */
export async function setLegDirection(
  ctx: LegContext,
  callId: string,
  legId: string,
  direction: PlatformDirection | undefined,
): Promise<Direction> {
  if (!callId || !legId) throw new ValidationError('call_id and leg_id are required', { callId, legId });
  if (!direction)
    throw new ValidationError('direction must be SENDRECV, SENDONLY or INACTIVE', { callId, legId });
  const leg = ctx.registry.live(callId, legId);
  if (!dialogOf(leg))
    throw new IllegalStateError(
      `cannot set the direction of leg ${legId}: it is ${leg.status.state}, not answered`,
      idsOf(leg),
    );
  // One change at a time per leg: a second waits for the first, then finds the direction it asks for.
  const previous = leg.changingDirection ?? Promise.resolve();
  const changing = previous.then(() => change(leg, direction));
  leg.changingDirection = changing.then(
    () => undefined,
    () => undefined,
  );
  return changing;
}

async function change(leg: Leg, direction: PlatformDirection): Promise<Direction> {
  const dialog = dialogOf(leg);
  if (!dialog) throw new IllegalStateError(`leg ${leg.legId} ended before its direction was set`, idsOf(leg));
  const moving = mediaMoving(leg);
  if (moving)
    throw new IllegalStateError(
      `cannot set the direction of leg ${leg.legId}: it is being ${moving}`,
      idsOf(leg),
    );
  const current = leg.platformHold?.direction ?? 'sendrecv';
  // Asked again (a retry, or a hold of a leg UnbridgeLegs already answered sendonly): nothing to send.
  if (current === direction) return leg.platformHold?.answered ?? directionOf(dialog.remote.sdp);
  const previous = dialog.local.sdp;
  const offer = nextLocalSdp(previous, withDirection(previous, direction));
  const answer = await reInvite({ leg, dialog }, offer, previous);
  dialog.local.sdp = offer;
  const answered = directionOf(answer);
  leg.platformHold = direction === 'sendrecv' ? undefined : { direction, answered };
  leg.log.info({ direction, answered }, 'leg direction set by re-INVITE');
  return answered;
}
