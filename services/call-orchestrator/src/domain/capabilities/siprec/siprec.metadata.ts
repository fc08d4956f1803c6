// The rs-metadata (RFC 7865) of a SIPREC session, as the structure sip-edge writes into XML: one
// participant and one stream per recorded leg, in label order. Ids are base64 of UUIDs derived from the
// siprec and leg ids (SRSs expect that shape; drachtio's SRS and vendors' do), so an update names the same
// session, participants and streams again. Each participant sends its own stream and receives the others'.
import { createHash } from 'node:crypto';
import { callEvents, type sipEdge } from '@callctl/proto';
import type { Leg } from '../../call.state';

/**
 * A name-based UUID (RFC 4122 §4.3, SHA-1, version 5) in base64: the same name gives the same id, with no
 * clock or randomness, so decide and replay agree.
 */
export function uuidBase64(name: string): string {
  const bytes = createHash('sha1').update(`callctl.siprec|${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes.toString('base64');
}

/** The remote party's address of record: the caller of an inbound leg, the callee of an outbound one. */
export const aorOf = (l: Pick<Leg, 'direction' | 'fromUri' | 'toUri'>): string =>
  l.direction === callEvents.LegDirection.LEG_DIRECTION_INBOUND ? l.fromUri : l.toUri;

/** a=label of the leg at `index` in label order (SDP and metadata agree on these). */
export const labelAt = (index: number): string => String(index + 1);

export function siprecMetadata(
  callId: string,
  siprecId: string,
  legs: readonly Pick<Leg, 'legId' | 'direction' | 'fromUri' | 'toUri' | 'sipCallId'>[],
): sipEdge.SiprecMetadata {
  const sessionId = uuidBase64(`session|${siprecId}`);
  const streamIds = legs.map((l) => uuidBase64(`stream|${siprecId}|${l.legId}`));
  return {
    sessionId,
    sipSessionIds: [...new Set(legs.map((l) => l.sipCallId).filter((id) => id !== ''))],
    participants: legs.map((l, i) => ({
      participantId: uuidBase64(`participant|${l.legId}`),
      aor: aorOf(l),
      name: '',
      sendStreamIds: [streamIds[i]!],
      recvStreamIds: streamIds.filter((_, j) => j !== i),
    })),
    streams: legs.map((_, i) => ({ streamId: streamIds[i]!, label: labelAt(i) })),
    extensionData: { callId },
  };
}
