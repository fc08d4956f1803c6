// The SDP the mixer gives for one participant (AddParticipantResponse.sdp): the mixer's side of the
// offer/answer that rtpengine makes with it. One codec only (no telephone-event: DTMF keeps to the direct
// path, see the contract), 20 ms packets, and the direction seen from the mixer.
import type { ParticipantSpec } from './participant-spec.js';

export interface SdpEndpoint {
  host: string;
  port: number;
  /** The o= session id; the version stays 1 (a participant's SDP never changes). */
  sessionId: number;
}

export function participantSdp(spec: ParticipantSpec, endpoint: SdpEndpoint): string {
  const family = endpoint.host.includes(':') ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=callctl-mixer ${endpoint.sessionId} 1 IN ${family} ${endpoint.host}`,
    's=callctl-mixer',
    `c=IN ${family} ${endpoint.host}`,
    't=0 0',
    `m=audio ${endpoint.port} RTP/AVP ${spec.payloadType}`,
    `a=rtpmap:${spec.payloadType} ${spec.codec}/8000`,
    'a=ptime:20',
    `a=${spec.direction}`,
    '',
  ].join('\r\n');
}
