import { ValidationError } from './errors';
import {
  checkRecordingForkAnswer,
  checkRecordingForkRequest,
  labelledRecordingOffer,
} from './recording-fork-sdp';

// rtpengine 10.5's reply to `subscribe request {from-tags:["callee","caller"], flags:["SIPREC"]}`.
const offered =
  'v=0\r\no=- 77 77 IN IP4 127.0.0.1\r\ns=rtpengine\r\nt=0 0\r\n' +
  'm=audio 33640 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1\r\na=label:0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\na=rtcp:33641\r\n' +
  'm=audio 33662 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1\r\na=label:1\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\na=rtcp:33663\r\n';

describe('SIPREC fork offer', () => {
  it('labels the m-lines with the labels asked for, by party, after c= and before the other attributes', () => {
    const sdp = labelledRecordingOffer(
      offered,
      { fromTags: ['caller', 'callee'] },
      ['1', '2'],
      ['callee', 'caller'],
    );
    expect(sdp).toBe(
      'v=0\r\no=- 77 77 IN IP4 127.0.0.1\r\ns=rtpengine\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
        'm=audio 33640 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1\r\na=label:2\r\na=sendonly\r\na=rtpmap:0 PCMU/8000\r\na=rtcp:33641\r\n' +
        'm=audio 33662 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1\r\na=label:1\r\na=sendonly\r\na=rtpmap:0 PCMU/8000\r\na=rtcp:33663\r\n',
    );
  });

  it('leaves the session part alone when the m-lines have different c= lines', () => {
    const split = offered.replace(
      'm=audio 33662 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1',
      'm=audio 33662 RTP/AVP 0 101\r\nc=IN IP4 127.0.0.2',
    );
    const sdp = labelledRecordingOffer(
      split,
      { fromTags: ['callee', 'caller'] },
      ['1', '2'],
      ['callee', 'caller'],
    );
    expect(sdp.split('m=')[0]).toBe('v=0\r\no=- 77 77 IN IP4 127.0.0.1\r\ns=rtpengine\r\nt=0 0\r\n');
  });

  it('refuses an offer whose m-lines are not the parties asked for', () => {
    expect(() => labelledRecordingOffer(offered, { fromTags: ['caller'] }, ['1'], ['caller'])).toThrow(
      ValidationError,
    );
    expect(() => labelledRecordingOffer(offered, { fromTags: ['a', 'b'] }, ['1', '2'], ['x', 'b'])).toThrow(
      ValidationError,
    );
  });

  it('numbers the labels from 1 when none are given, and refuses bad ones', () => {
    const base = { sessionId: 's', forkId: 'f', fromTags: ['a', 'b'] };
    expect(checkRecordingForkRequest({ ...base, labels: [] })).toEqual(['1', '2']);
    expect(checkRecordingForkRequest({ ...base, labels: ['x', 'y'] })).toEqual(['x', 'y']);
    for (const labels of [['1'], ['1', '1'], ['a b', '2'], ['', '2']])
      expect(() => checkRecordingForkRequest({ ...base, labels })).toThrow(ValidationError);
    expect(() => checkRecordingForkRequest({ ...base, fromTags: ['a', 'a'], labels: [] })).toThrow(
      ValidationError,
    );
    expect(() => checkRecordingForkRequest({ ...base, fromTags: [], labels: [] })).toThrow(ValidationError);
  });

  it('refuses an answer without audio', () => {
    expect(() => checkRecordingForkAnswer('v=0\r\nm=video 1 RTP/AVP 96\r\n')).toThrow(ValidationError);
    expect(() => checkRecordingForkAnswer(offered)).not.toThrow();
  });
});
