import { participantSdp } from './participant-sdp';
import { codecOf, participantSpec } from './participant-spec';

describe('participant spec', () => {
  it('reads "" as PCMU, and any case', () => {
    expect([codecOf(''), codecOf('pcma'), codecOf('PCMU')]).toEqual(['PCMU', 'PCMA', 'PCMU']);
  });

  it.each(['G722', 'opus', 'PCMU/8000'])('refuses codec %s as invalid', (codec) => {
    expect(() => codecOf(codec)).toThrow(expect.objectContaining({ kind: 'invalid_argument' }));
  });

  it.each(['', 'with space', 'x'.repeat(129), 'semi;colon'])('refuses participant id %j', (id) => {
    expect(() => participantSpec(id, 'PCMU', 'sendrecv')).toThrow(
      expect.objectContaining({ kind: 'invalid_argument' }),
    );
  });

  it('describes the participant in a complete SDP', () => {
    const spec = participantSpec('fork-leg1', 'PCMA', 'recvonly');
    expect(participantSdp(spec, { host: '10.1.2.3', port: 46002, sessionId: 7 }).split('\r\n')).toEqual([
      'v=0',
      'o=callctl-mixer 7 1 IN IP4 10.1.2.3',
      's=callctl-mixer',
      'c=IN IP4 10.1.2.3',
      't=0 0',
      'm=audio 46002 RTP/AVP 8',
      'a=rtpmap:8 PCMA/8000',
      'a=ptime:20',
      'a=recvonly',
      '',
    ]);
  });
});
