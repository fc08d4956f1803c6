import {
  answerDirection,
  directionOf,
  isHold,
  mirrored,
  narrowed,
  nextLocalSdp,
  sessionVersionOf,
  withDirection,
} from './sdp-direction.js';

const sdp = (...body: string[]) =>
  ['v=0', 'o=rtpengine 1234 7 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...body, ''].join(
    '\r\n',
  );
const audio = (port: number, ...attributes: string[]) => [
  `m=audio ${port} RTP/AVP 0`,
  'a=rtpmap:0 PCMU/8000',
  ...attributes,
];

describe('directionOf', () => {
  it('reads the first audio stream’s attribute', () =>
    expect(directionOf(sdp(...audio(4000, 'a=sendonly')))).toBe('sendonly'));
  it('falls back to the session’s attribute', () =>
    expect(directionOf(sdp('a=inactive', ...audio(4000)))).toBe('inactive'));
  it('lets the stream’s attribute override the session’s', () =>
    expect(directionOf(sdp('a=inactive', ...audio(4000, 'a=recvonly')))).toBe('recvonly'));
  it('defaults to sendrecv', () => expect(directionOf(sdp(...audio(4000)))).toBe('sendrecv'));
  it('ignores a video stream before the audio', () =>
    expect(directionOf(sdp('m=video 5000 RTP/AVP 96', 'a=sendonly', ...audio(4000)))).toBe('sendrecv'));
  it('reads LF-only text', () =>
    expect(directionOf(sdp(...audio(4000, 'a=inactive')).replace(/\r\n/g, '\n'))).toBe('inactive'));
});

describe('withDirection', () => {
  it('replaces every audio stream’s attribute and keeps the rest', () => {
    const out = withDirection(sdp(...audio(4000, 'a=sendrecv', 'a=ptime:20'), ...audio(4002)), 'sendonly');
    expect(out).toBe(sdp(...audio(4000, 'a=ptime:20', 'a=sendonly'), ...audio(4002, 'a=sendonly')));
  });
  it('leaves a video stream alone', () => {
    const out = withDirection(
      sdp(...audio(4000, 'a=sendrecv'), 'm=video 5000 RTP/AVP 96', 'a=recvonly'),
      'inactive',
    );
    expect(out).toBe(sdp(...audio(4000, 'a=inactive'), 'm=video 5000 RTP/AVP 96', 'a=recvonly'));
    expect(directionOf(out)).toBe('inactive');
  });
  it('round-trips: the direction set is the one read', () => {
    for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const)
      expect(directionOf(withDirection(sdp(...audio(4000, 'a=sendrecv')), d))).toBe(d);
  });
});

describe('directions', () => {
  it('calls sendonly and inactive a hold', () => {
    expect([isHold('sendonly'), isHold('inactive'), isHold('sendrecv'), isHold('recvonly')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
  it('mirrors a direction to the other end’s view', () => {
    expect(mirrored('sendonly')).toBe('recvonly');
    expect(mirrored('recvonly')).toBe('sendonly');
    expect(mirrored('inactive')).toBe('inactive');
    expect(mirrored('sendrecv')).toBe('sendrecv');
  });
  it('narrows two directions to what both allow', () => {
    expect(narrowed('sendonly', 'sendrecv')).toBe('sendonly');
    expect(narrowed('sendonly', 'recvonly')).toBe('inactive');
    expect(narrowed('inactive', 'sendrecv')).toBe('inactive');
    expect(narrowed('sendrecv', 'sendrecv')).toBe('sendrecv');
  });
  it('answers within what the offer allows (RFC 3264 §6.1)', () => {
    expect(answerDirection('sendrecv', 'sendonly')).toBe('sendonly');
    expect(answerDirection('sendrecv', 'recvonly')).toBe('recvonly');
    expect(answerDirection('sendonly', 'sendrecv')).toBe('recvonly');
    expect(answerDirection('sendonly', 'sendonly')).toBe('inactive');
    expect(answerDirection('recvonly', 'sendrecv')).toBe('sendonly');
    expect(answerDirection('inactive', 'sendrecv')).toBe('inactive');
  });
});

describe('nextLocalSdp', () => {
  const current = sdp(...audio(4000, 'a=sendrecv'));
  it('keeps the version of an unchanged description', () => {
    const same = current.replace(' 7 IN', ' 3 IN');
    expect(sessionVersionOf(nextLocalSdp(current, same))).toBe(7n);
  });
  it('puts a changed description above the current version', () => {
    const changed = withDirection(current, 'sendonly');
    expect(sessionVersionOf(nextLocalSdp(current, changed))).toBe(8n);
    expect(sessionVersionOf(nextLocalSdp(current, changed.replace(' 7 IN', ' 2 IN')))).toBe(8n);
  });
  it('keeps a version already above the current one', () => {
    const changed = withDirection(current, 'inactive').replace(' 7 IN', ' 12 IN');
    expect(sessionVersionOf(nextLocalSdp(current, changed))).toBe(12n);
  });
  it('takes the next SDP as it is when the current one has no version', () => {
    const next = withDirection(current, 'inactive');
    expect(nextLocalSdp('', next)).toBe(next);
  });
  it('reads versions beyond 2^53', () =>
    expect(sessionVersionOf(current.replace(' 7 IN', ' 18446744073709551615 IN'))).toBe(
      18446744073709551615n,
    ));
});
