import { media } from '@callctl/proto';
import { mediaFactIdOf, nameBasedUuid } from './fact-ids.js';

const ended = (sessionId: string, playbackId: string): media.MediaEvent => ({
  sessionId,
  occurredAtMs: 1,
  fact: {
    $case: 'playbackFinished',
    playbackFinished: {
      playbackId,
      tag: 'leg-a',
      reason: media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
    },
  },
});
const fresh = () => 'fresh-id';

describe('media fact ids', () => {
  it('names a playback end by its session and playback, whenever and by whichever run it is reported', () => {
    const first = mediaFactIdOf(ended('call-1', 'p-1'), fresh);
    expect(mediaFactIdOf({ ...ended('call-1', 'p-1'), occurredAtMs: 99 }, fresh)).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives other playbacks other ids', () => {
    const ids = new Set([
      mediaFactIdOf(ended('call-1', 'p-1'), fresh),
      mediaFactIdOf(ended('call-1', 'p-2'), fresh),
      mediaFactIdOf(ended('call-2', 'p-1'), fresh),
    ]);
    expect(ids.size).toBe(3);
  });

  it('gives a digit a fresh id', () => {
    const digit: media.MediaEvent = {
      sessionId: 'call-1',
      occurredAtMs: 1,
      fact: { $case: 'dtmfReceived', dtmfReceived: { tag: 'leg-a', digit: '5', durationMs: 100, method: 1 } },
    };
    expect(mediaFactIdOf(digit, fresh)).toBe('fresh-id');
  });

  it('computes RFC 9562 version 5 ids (the RFC example: DNS namespace, www.example.com)', () => {
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });
});
