import { checkForkRequest, forkPlan, forkTranscodeCodecs, type ForkRequest } from './fork-answer-sdp.js';
import { UnavailableError, ValidationError } from './errors.js';

/** rtpengine 10.5's subscribe request SDP: one m-line per party, each `sendonly` (shapes measured). */
function offer(...medias: string[][]): string {
  return [
    'v=0',
    'o=- 77 77 IN IP4 127.0.0.1',
    's=rtpengine',
    't=0 0',
    ...medias.flatMap((lines, i) => [
      lines[0]!.replace('PORT', String(31000 + 10 * i)),
      'c=IN IP4 127.0.0.1',
      ...lines.slice(1),
      'a=sendonly',
    ]),
    '',
  ].join('\r\n');
}
const pcmu = [
  'm=audio PORT RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
];
const pcmaThenPcmu = [
  'm=audio PORT RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
];
const g722 = [
  'm=audio PORT RTP/AVP 9 0 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
];
const opus = [
  'm=audio PORT RTP/AVP 111 0',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
];
const opusWide = [
  'm=audio PORT RTP/AVP 111 0 9',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:9 G722/8000',
];
const pcmuWide = [
  'm=audio PORT RTP/AVP 0 9 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
];

const request = (over: Partial<ForkRequest> = {}): ForkRequest => ({
  sessionId: 's1',
  forkId: 'rec-1',
  fromTags: ['caller', 'callee'],
  sinkAddress: '127.0.0.1',
  sinkPorts: [40000, 40002],
  wideband: false,
  ...over,
});

const mLines = (sdp: string) => sdp.split('\r\n').filter((l) => l.startsWith('m='));

describe('fork request checks', () => {
  it('accepts a good request', () => {
    expect(() => checkForkRequest(request())).not.toThrow();
    expect(() => checkForkRequest(request({ sinkAddress: '::1' }))).not.toThrow();
  });

  it.each([
    [{ sessionId: '' }, /session_id/],
    [{ forkId: '' }, /fork_id/],
    [{ fromTags: [], sinkPorts: [] }, /from_tags/],
    [{ fromTags: ['caller', ''] }, /from_tags\[1\]/],
    [{ fromTags: ['caller', 'caller'] }, /twice/],
    [{ forkId: 'callee' }, /fork_id callee/],
    [{ sinkPorts: [40000] }, /1 ports for 2 parties/],
    [{ sinkPorts: [40000, 0] }, /bad sink port: 0/],
    [{ sinkPorts: [40000, 70000] }, /bad sink port: 70000/],
    [{ sinkPorts: [40000, 40000] }, /must differ/],
    [{ sinkAddress: 'recorder.local' }, /sink_address must be an IP address: recorder.local/],
    [{ sinkAddress: '' }, /sink_address/],
    [{ sinkAddress: '0.0.0.0' }, /sink_address/],
    [{ sinkAddress: '::' }, /sink_address/],
  ])('refuses %j', (over, message) => {
    expect(() => checkForkRequest(request(over))).toThrow(ValidationError);
    expect(() => checkForkRequest(request(over))).toThrow(message);
  });
});

describe('fork answer SDP', () => {
  it('asks rtpengine for PCMU, and G722 too when wideband', () => {
    expect(forkTranscodeCodecs(false)).toEqual(['PCMU']);
    expect(forkTranscodeCodecs(true)).toEqual(['PCMU', 'G722']);
  });

  it('answers each m-line recvonly at its party sink port, one codec plus telephone-event', () => {
    const plan = forkPlan(request(), offer(pcmu, pcmaThenPcmu), ['caller', 'callee']);
    expect(plan.answerSdp).toBe(
      [
        'v=0',
        'o=- 1 1 IN IP4 127.0.0.1',
        's=callctl-fork',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=recvonly',
        'm=audio 40002 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=ptime:20',
        'a=recvonly',
        '',
      ].join('\r\n'),
    );
    expect(plan.parties).toEqual([
      {
        fromTag: 'caller',
        sinkPort: 40000,
        payloadType: 0,
        codec: 'PCMU',
        clockRate: 8000,
        sampleRate: 8000,
        telephoneEventPayloadType: 101,
        transcoded: false,
      },
      {
        fromTag: 'callee',
        sinkPort: 40002,
        payloadType: 8,
        codec: 'PCMA',
        clockRate: 8000,
        sampleRate: 8000,
        telephoneEventPayloadType: 101,
        transcoded: false,
      },
    ]);
  });

  it('maps m-lines by rtpengine order of tags, and reports parties in the request order', () => {
    // rtpengine listed callee first: its m-line (G722) goes to the callee's port, the second to the caller's.
    const plan = forkPlan(request(), offer(g722, pcmu), ['callee', 'caller']);
    expect(mLines(plan.answerSdp)).toEqual(['m=audio 40002 RTP/AVP 9 101', 'm=audio 40000 RTP/AVP 0 101']);
    expect(plan.parties.map((p) => [p.fromTag, p.sinkPort, p.codec, p.sampleRate])).toEqual([
      ['caller', 40000, 'PCMU', 8000],
      ['callee', 40002, 'G722', 16000],
    ]);
  });

  it('passes G722 through whether wideband or not, and keeps a narrowband party narrowband', () => {
    for (const wideband of [false, true]) {
      const plan = forkPlan(request({ wideband }), offer(g722, pcmuWide), ['caller', 'callee']);
      expect(plan.parties.map((p) => [p.codec, p.transcoded])).toEqual([
        ['G722', false],
        ['PCMU', false],
      ]);
    }
  });

  it('transcodes another codec to PCMU, or to G722 when wideband', () => {
    const narrow = forkPlan(request({ fromTags: ['caller'], sinkPorts: [40000] }), offer(opus), ['caller']);
    expect(mLines(narrow.answerSdp)).toEqual(['m=audio 40000 RTP/AVP 0']);
    expect(narrow.parties[0]).toMatchObject({
      codec: 'PCMU',
      payloadType: 0,
      transcoded: true,
      telephoneEventPayloadType: 0,
    });
    const wide = forkPlan(
      request({ fromTags: ['caller'], sinkPorts: [40000], wideband: true }),
      offer(opusWide),
      ['caller'],
    );
    expect(mLines(wide.answerSdp)).toEqual(['m=audio 40000 RTP/AVP 9']);
    expect(wide.parties[0]).toMatchObject({
      codec: 'G722',
      payloadType: 9,
      sampleRate: 16000,
      transcoded: true,
    });
  });

  it('writes an IPv6 sink as IN IP6', () => {
    const plan = forkPlan(request({ sinkAddress: '::1' }), offer(pcmu, pcmu), ['caller', 'callee']);
    expect(plan.answerSdp).toContain('\r\nc=IN IP6 ::1\r\n');
  });

  it('refuses what it cannot map or record', () => {
    expect(() => forkPlan(request(), offer(pcmu), ['caller', 'callee'])).toThrow(UnavailableError);
    expect(() => forkPlan(request(), offer(pcmu, pcmu, pcmu), ['caller', 'callee'])).toThrow(/3 streams/);
    expect(() => forkPlan(request(), offer(pcmu, pcmu), ['caller', 'other'])).toThrow(/other/);
    const only = ['m=audio PORT RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'];
    expect(() => forkPlan(request(), offer(pcmu, only), ['caller', 'callee'])).toThrow(
      /none of PCMU, PCMA, G722/,
    );
  });
});
