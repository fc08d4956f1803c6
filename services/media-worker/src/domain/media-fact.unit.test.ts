import { media } from '@callctl/proto';
import { mediaFactOf } from './media-fact.js';

const { PLAYBACK_END_REASON_COMPLETED, PLAYBACK_END_REASON_STOPPED, PLAYBACK_END_REASON_FAILED } =
  media.PlaybackEndReason;

const playbackEnded = (reason: media.PlaybackEndReason): media.MediaEvent => ({
  sessionId: 'call-1',
  occurredAtMs: 1,
  fact: { $case: 'playbackFinished', playbackFinished: { playbackId: 'p1', tag: 'leg-a', reason } },
});

describe('media fact of a media event', () => {
  it('reports a digit on the leg whose tag sent it, under the call named, with the session it was seen on', () => {
    const event: media.MediaEvent = {
      sessionId: 'session-7',
      occurredAtMs: 1,
      fact: { $case: 'dtmfReceived', dtmfReceived: { tag: 'leg-a', digit: '#', durationMs: 160, method: 1 } },
    };
    expect(mediaFactOf(event, 'f1', 'call-1')).toEqual({
      factId: 'f1',
      callId: 'call-1',
      sessionId: 'session-7',
      // When the worker saw it; the reporter numbers the facts it publishes.
      occurredAtMs: 1,
      sourceSequence: 0,
      fact: {
        $case: 'dtmfDetected',
        dtmfDetected: { legId: 'leg-a', tag: 'leg-a', digit: '#', durationMs: 160, method: 1 },
      },
    });
  });

  it('reports a completed playback as finished and a failed one as failed', () => {
    expect(mediaFactOf(playbackEnded(PLAYBACK_END_REASON_COMPLETED), 'f2', 'call-1')?.fact).toEqual({
      $case: 'playbackFinished',
      playbackFinished: { playbackId: 'p1', failed: false },
    });
    expect(mediaFactOf(playbackEnded(PLAYBACK_END_REASON_FAILED), 'f3', 'call-1')?.fact).toEqual({
      $case: 'playbackFinished',
      playbackFinished: { playbackId: 'p1', failed: true },
    });
  });

  it('reports nothing for a playback the orchestrator stopped itself', () => {
    expect(mediaFactOf(playbackEnded(PLAYBACK_END_REASON_STOPPED), 'f4', 'call-1')).toBeUndefined();
  });
});
