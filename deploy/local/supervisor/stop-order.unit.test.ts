import { stopOrder } from './stop-order';

describe('stop order', () => {
  it('stops sip-edge, then the orchestrator, then the media-worker, and the SIP engine last', () =>
    expect(stopOrder(['media-worker', 'sip-engine', 'sip-edge', 'call-orchestrator'])).toEqual([
      'sip-edge',
      'call-orchestrator',
      'media-worker',
      'sip-engine',
    ]));

  it('keeps the media library and tts up until the orchestrator and the media-worker are stopped', () =>
    expect(
      stopOrder(['tts', 'media-library', 'media-worker', 'sip-engine', 'sip-edge', 'call-orchestrator']),
    ).toEqual(['sip-edge', 'call-orchestrator', 'media-worker', 'media-library', 'tts', 'sip-engine']));

  it('stops the recording service after the orchestrator and before the media-worker it forks through', () =>
    expect(stopOrder(['media-worker', 'recording', 'call-orchestrator', 'sip-edge'])).toEqual([
      'sip-edge',
      'call-orchestrator',
      'recording',
      'media-worker',
    ]));

  it('stops the stream gateway after the orchestrator and before the media-worker and the mixer', () =>
    expect(stopOrder(['mixer', 'media-worker', 'stream-gateway', 'call-orchestrator'])).toEqual([
      'call-orchestrator',
      'stream-gateway',
      'media-worker',
      'mixer',
    ]));

  it('stops the mixer after the media-worker that routes calls through it', () =>
    expect(stopOrder(['mixer', 'media-worker', 'call-orchestrator'])).toEqual([
      'call-orchestrator',
      'media-worker',
      'mixer',
    ]));

  it('stops the callback service before the orchestrator it drives calls through, and before sip-edge', () =>
    expect(stopOrder(['call-orchestrator', 'sip-edge', 'callback', 'sip-engine'])).toEqual([
      'callback',
      'sip-edge',
      'call-orchestrator',
      'sip-engine',
    ]));

  it('keeps the order when some services are absent', () =>
    expect(stopOrder(['sip-engine', 'media-worker'])).toEqual(['media-worker', 'sip-engine']));

  it('stops a service the order does not know first, in the order given', () =>
    expect(stopOrder(['media-worker', 'recorder', 'sip-edge', 'tts'])).toEqual([
      'recorder',
      'sip-edge',
      'media-worker',
      'tts',
    ]));
});
