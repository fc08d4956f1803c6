// A leg whose media session vanished from rtpengine (issue #21, item 5): rtpengine drops a session by itself
// (no media for its --timeout, a restart); here the test drops it behind every service's back. The
// media-worker's check finds it, the orchestrator records LegMediaLost and hangs the leg up
// (END_CAUSE_MEDIA_TIMEOUT, the default MEDIA_LOST_ACTION): the caller gets a BYE and the log never calls
// the leg answered any more.
import { join } from 'node:path';
import { callEvents } from '@callctl/proto';
import { RtpEndpoint, startSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** The media-worker's check runs every 10 s (its default); some room for a loaded machine. */
const NOTICED_WITHIN_MS = 30_000;

describe('a leg whose media session rtpengine dropped', () => {
  let p: PlatformUnderTest;
  let rtp: RtpEndpoint;

  beforeAll(async () => {
    p = await startPlatform();
    rtp = await RtpEndpoint.open();
  });
  afterAll(async () => {
    await rtp?.close();
    await p?.close();
  });

  it('is recorded as having lost its media, then hung up with MEDIA_TIMEOUT (BYE to the caller)', async () => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service: 'media-lost',
      args: ['-key', 'rtp_port', String(rtp.port)],
      timeoutMs: 60_000,
    });
    const initiated = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes('sip:media-lost@'),
    );
    const { callId, legId, media } = initiated.event.legInitiated;
    if (!media?.sessionId) throw new Error('LegInitiated names no media session');
    await p.rpc(p.api.answerLeg, { callId, legId, clientState: '' });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);

    await p.edge.rtpengine.deleteCall(media.sessionId);

    const lost = await p.event(
      'legMediaLost',
      (e) => e.event.legMediaLost.legId === legId,
      NOTICED_WITHIN_MS,
    );
    expect(lost.event.legMediaLost).toMatchObject({ callId, legId, mediaSessionId: media.sessionId });
    const ended = await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
    expect(ended.event.legEnded.cause).toBe(callEvents.EndCause.END_CAUSE_MEDIA_TIMEOUT);
    p.edge.expectSippSucceeded(await sipp.result);
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    expect(p.eventsOf(callId).map((e) => e.event?.$case)).toEqual([
      'callCreated',
      'legInitiated',
      'legRinging',
      'legAnswered',
      'legMediaLost',
      'legEnded',
      'callEnded',
    ]);
  });
});
