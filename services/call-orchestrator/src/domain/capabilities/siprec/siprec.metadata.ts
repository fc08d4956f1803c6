// The rs-metadata (RFC 7865) of a SIPREC session, as the structure sip-edge writes into XML: one
// participant and one stream per recorded leg, in label order. Ids are base64 of name-based UUIDs of the
// siprec and leg ids (SRSs expect that shape; drachtio's SRS and vendors' do), so an update names the same
// session, participants and streams again. Each participant sends its own stream and receives the others'.
// The UUIDs come from the app (a name-based UUID of the parts): the same parts, the same UUID.
import { callEvents, type sipEdge } from '@callctl/proto';
import type { Leg } from '../../call.state';

/** A deterministic UUID of the parts (app/siprec-wire.ts). */
export type NameUuid = (...parts: string[]) => string;

/** A UUID's 16 bytes in base64 (24 characters). */
export const uuidBase64 = (uuid: string): string =>
  Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64');

/** The remote party's address of record: the caller of an inbound leg, the callee of an outbound one. */
export const aorOf = (l: Pick<Leg, 'direction' | 'fromUri' | 'toUri'>): string =>
  l.direction === callEvents.LegDirection.LEG_DIRECTION_INBOUND ? l.fromUri : l.toUri;

/** a=label of the leg at `index` in label order (SDP and metadata agree on these). */
export const labelAt = (index: number): string => String(index + 1);

export function siprecMetadata(
  callId: string,
  siprecId: string,
  legs: readonly Pick<Leg, 'legId' | 'direction' | 'fromUri' | 'toUri' | 'sipCallId'>[],
  uuidOf: NameUuid,
): sipEdge.SiprecMetadata {
  const id = (...parts: string[]) => uuidBase64(uuidOf('siprec-metadata', ...parts));
  const streamIds = legs.map((l) => id('stream', siprecId, l.legId));
  return {
    sessionId: id('session', siprecId),
    sipSessionIds: [...new Set(legs.map((l) => l.sipCallId).filter((sipCallId) => sipCallId !== ''))],
    participants: legs.map((l, i) => ({
      participantId: id('participant', l.legId),
      aor: aorOf(l),
      name: '',
      sendStreamIds: [streamIds[i]!],
      recvStreamIds: streamIds.filter((_, j) => j !== i),
    })),
    streams: legs.map((_, i) => ({ streamId: streamIds[i]!, label: labelAt(i) })),
    extensionData: { callId },
  };
}
