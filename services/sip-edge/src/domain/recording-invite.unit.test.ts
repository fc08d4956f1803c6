import { readMultipart, partHeader } from '@callctl/sip';
import { IllegalStateError, TimeoutError, UnavailableError, ValidationError } from './errors';
import {
  nextRecordingOffer,
  recordingBody,
  recordingFailure,
  recordingHeaders,
  sdpOfAnswer,
} from './recording-invite';

const offer =
  'v=0\r\no=- 5 5 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' +
  'm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=label:1\r\na=sendonly\r\n' +
  'm=audio 4002 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=label:2\r\na=sendonly\r\n';
const metadata = {
  sessionId: 'c2Vzc2lvbg==',
  sipSessionIds: ['abc@host'],
  participants: [{ participantId: 'cA==', aor: 'sip:a@x', sendStreamIds: ['s1'], recvStreamIds: [] }],
  streams: [{ streamId: 's1', label: '1' }],
};

describe('a recording session INVITE', () => {
  it('carries the SDP and the rs-metadata as two parts with their dispositions', () => {
    const body = recordingBody(offer, metadata);
    expect(body.contentType).toBe(`multipart/mixed;boundary=${body.boundary}`);
    const parts = readMultipart(body.contentType, body.body);
    expect(parts.map((p) => [partHeader(p, 'Content-Type'), partHeader(p, 'Content-Disposition')])).toEqual([
      ['application/sdp', 'session;handling=required'],
      ['application/rs-metadata+xml', 'recording-session'],
    ]);
    expect(parts[0]!.body).toBe(offer);
    expect(parts[1]!.body).toContain('<label>1</label>');
  });

  it('says SIPREC in its headers, keeps X- headers and refuses others', () => {
    const headers = recordingHeaders(
      'sip:127.0.0.1:5060',
      { 'X-Tenant': 'acme' },
      'multipart/mixed;boundary=b',
    );
    expect(headers).toMatchObject({
      'X-Tenant': 'acme',
      Require: 'siprec',
      Contact: '<sip:127.0.0.1:5060>;+sip.src',
      'MIME-Version': '1.0',
      'Content-Type': 'multipart/mixed;boundary=b',
    });
    expect(() => recordingHeaders('sip:h', { Require: 'x' }, 'c')).toThrow(ValidationError);
    expect(() => recordingHeaders('sip:h', { 'X-A': 'a\r\nB: c' }, 'c')).toThrow(ValidationError);
  });

  it('takes the SDP of a plain or a multipart answer', () => {
    expect(sdpOfAnswer(offer)).toBe(offer);
    const multipart = recordingBody(offer, metadata).body;
    expect(sdpOfAnswer(multipart)).toBe(offer);
  });

  it('re-offers under the first o= line, its version raised when the description changed', () => {
    const paused = nextRecordingOffer(offer, offer, 'inactive');
    expect(paused).toContain('o=- 5 6 IN IP4 127.0.0.1');
    expect(paused.match(/^a=inactive$/gm)).toHaveLength(2);
    expect(paused).not.toContain('a=sendonly');
    const fresh = offer.replace('o=- 5 5', 'o=- 99 99').replace('4000', '4100');
    expect(nextRecordingOffer(paused, fresh, 'sendonly')).toContain('o=- 5 7 IN IP4 127.0.0.1');
    expect(nextRecordingOffer(offer, offer)).toBe(offer);
  });

  it('maps what a failed INVITE means: a refusal, no answer, nothing sent', () => {
    const context = { sessionId: 's-1' };
    const refused = recordingFailure({ status: 503, reason: 'Service Unavailable' }, context);
    expect(refused).toBeInstanceOf(IllegalStateError);
    expect(refused.message).toBe('SIP 503 Service Unavailable');
    expect(recordingFailure({ timeout: true }, context)).toBeInstanceOf(TimeoutError);
    expect(recordingFailure({ timeout: true }, context).message).toMatch(/^SIP 408/);
    expect(recordingFailure({ status: 408, reason: 'Request Timeout' }, context)).toBeInstanceOf(
      TimeoutError,
    );
    const unsent = recordingFailure({ transport: 'no route' }, context);
    expect(unsent).toBeInstanceOf(UnavailableError);
    expect(unsent.message).toMatch(/^SIP 503/);
  });
});
