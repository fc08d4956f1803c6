import { createLogger } from '@callctl/logging';
import { directionOf, sessionVersionOf } from '../domain/sdp-direction.js';
import { answerFromHeldLeg, sdpForLeg } from './leg-sdp.js';
import type { OutboundLeg, PlatformHold } from './leg-registry.js';
import type { AnsweredLeg } from './platform-reinvite.js';
import type { SipDialog } from './sip-stack.js';

const log = createLogger({ service: 'leg-sdp-test', level: 'silent' });

const sdp = (version: number, direction: string, port = 4000) =>
  [
    'v=0',
    `o=rtpengine 99 ${version} IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');

/** An answered leg whose dialog last sent `localSdp`, held by the platform when `hold` is given. */
function answered(localSdp: string, hold?: PlatformHold): AnsweredLeg {
  const leg: OutboundLeg = {
    direction: 'outbound',
    callId: 'C1',
    legId: 'L1',
    sipCallId: '',
    status: { state: 'calling' },
    log,
    progressSeen: new Set(),
    ...(hold ? { platformHold: hold } : {}),
  };
  return { leg, dialog: { local: { sdp: localSdp, uri: '' } } as unknown as SipDialog };
}

describe('the SDP sent to a leg', () => {
  it('passes an offer to a leg nobody holds as it is, above the version last sent', () => {
    const out = sdpForLeg(answered(sdp(5, 'sendrecv')), sdp(2, 'sendrecv', 4002));
    expect(directionOf(out)).toBe('sendrecv');
    expect(sessionVersionOf(out)).toBe(6n);
  });

  it('keeps the version of an SDP that did not change', () => {
    expect(sessionVersionOf(sdpForLeg(answered(sdp(5, 'sendrecv')), sdp(2, 'sendrecv')))).toBe(5n);
  });

  it('offers a held leg its hold direction, whatever the peer offered', () => {
    const held = answered(sdp(5, 'sendonly'), { direction: 'sendonly', answered: 'recvonly' });
    expect(directionOf(sdpForLeg(held, sdp(9, 'sendrecv', 4002)))).toBe('sendonly');
    const inactive = answered(sdp(5, 'inactive'), { direction: 'inactive', answered: 'inactive' });
    expect(directionOf(sdpForLeg(inactive, sdp(9, 'sendrecv', 4002)))).toBe('inactive');
  });

  it("answers a phone's offer within its direction (the media-worker's answer says sendrecv)", () => {
    const leg = answered(sdp(5, 'sendrecv'));
    expect(directionOf(sdpForLeg(leg, sdp(6, 'sendrecv'), sdp(3, 'sendonly')))).toBe('recvonly');
    expect(directionOf(sdpForLeg(leg, sdp(6, 'sendrecv'), sdp(3, 'inactive')))).toBe('inactive');
    expect(directionOf(sdpForLeg(leg, sdp(6, 'sendrecv'), sdp(3, 'sendrecv')))).toBe('sendrecv');
  });

  it("answers a held leg's own re-INVITE held", () => {
    const held = answered(sdp(5, 'sendonly'), { direction: 'sendonly', answered: 'recvonly' });
    expect(directionOf(sdpForLeg(held, sdp(6, 'sendrecv'), sdp(3, 'sendrecv')))).toBe('sendonly');
  });

  it("answers the peer of a held leg with the held leg's direction", () => {
    const answer = sdp(7, 'sendrecv');
    expect(directionOf(answerFromHeldLeg(sdp(2, 'sendrecv'), sdp(4, 'recvonly'), answer))).toBe('recvonly');
    expect(directionOf(answerFromHeldLeg(sdp(2, 'sendrecv'), sdp(4, 'inactive'), answer))).toBe('inactive');
  });
});
