// The SDP of a loopback test party: one audio stream at 127.0.0.1, 20 ms packets, both ways.

export interface SdpFormat {
  payloadType: number;
  /** The a=rtpmap value, e.g. PCMU/8000. */
  rtpmap: string;
  /** The a=fmtp value, if any. */
  fmtp?: string;
}

/** telephone-event (RFC 4733) at `clockRate`, all sixteen DTMF events. */
export function telephoneEventFormat(payloadType: number, clockRate: number): SdpFormat {
  return { payloadType, rtpmap: `telephone-event/${clockRate}`, fmtp: '0-16' };
}

/** An SDP (offer or answer) with `formats` in order of preference, receiving at 127.0.0.1:`port`. */
export function loopbackAudioSdp(ssrc: number, port: number, formats: readonly SdpFormat[]): string {
  return [
    'v=0',
    `o=- ${ssrc} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${formats.map((f) => f.payloadType).join(' ')}`,
    ...formats.flatMap(({ payloadType, rtpmap, fmtp }) => [
      `a=rtpmap:${payloadType} ${rtpmap}`,
      ...(fmtp ? [`a=fmtp:${payloadType} ${fmtp}`] : []),
    ]),
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/**
 * A recording server's (SRS's) answer to a SIPREC fork offer: each m-line recvonly at 127.0.0.1:`ports[i]`
 * (one loopback receiver per recorded stream), every offered codec and attribute kept.
 */
export function recorderAnswerSdp(offer: string, ports: readonly number[]): string {
  let index = -1;
  return offer
    .split('\r\n')
    .flatMap((line) => {
      if (line.startsWith('m=audio ')) {
        index += 1;
        return [line.replace(/^m=audio \d+/, `m=audio ${ports[index]}`)];
      }
      if (line.startsWith('c=')) return ['c=IN IP4 127.0.0.1'];
      if (line.startsWith('o=')) return ['o=- 1 1 IN IP4 127.0.0.1'];
      if (line === 'a=sendonly') return ['a=recvonly'];
      if (line.startsWith('a=rtcp:')) return [];
      return [line];
    })
    .join('\r\n');
}
