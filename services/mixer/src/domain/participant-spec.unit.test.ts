import { participantSdp } from './participant-sdp';
import { codecOf, outputCodecOf, participantSpec } from './participant-spec';

describe('participant spec', () => {
  it('reads "" as PCMU, and any case', () => {
    expect([codecOf(''), codecOf('pcma'), codecOf('PCMU'), codecOf('g722')]).toEqual([
      'PCMU',
      'PCMA',
      'PCMU',
      'G722',
    ]);
  });

  it('takes G722 for a recvonly participant only (the mixer sends PCMU or PCMA)', () => {
    expect(participantSpec('fork-leg1', 'G722', 'recvonly')).toMatchObject({ codec: 'G722', payloadType: 9 });
    for (const direction of ['sendrecv', 'sendonly'] as const)
      expect(() => participantSpec('sup-1', 'G722', direction)).toThrow(
        expect.objectContaining({ kind: 'invalid_argument' }),
      );
    expect(outputCodecOf(participantSpec('fork-leg1', 'G722', 'recvonly'))).toBe('PCMU');
    expect(outputCodecOf(participantSpec('sup-1', 'PCMA', 'sendrecv'))).toBe('PCMA');
  });

  it('describes a G722 participant with its static payload type and 8000 clock (RFC 3551)', () => {
    const sdp = participantSdp(participantSpec('fork-leg1', 'G722', 'recvonly'), {
      host: '127.0.0.1',
      port: 46004,
      sessionId: 1,
    });
    expect(sdp).toContain('m=audio 46004 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n');
  });

  it.each(['opus', 'G729', 'PCMU/8000'])('refuses codec %s as invalid', (codec) => {
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
