// rtpengine killed and restarted in the middle of an answered call: the restarted relay knows nothing of
// the call's session, so its media is gone. The log must not keep calling the leg answered for longer than
// the media reconciliation interval: LegMediaLost, then (the default action) a hangup, LegEnded with
// END_CAUSE_MEDIA_TIMEOUT, and a BYE to the caller.
import { join } from 'node:path';
import { RtpEndpoint, makeToneFile, startSipp, waitFor, type ManagedProcess } from '@callctl/testing';
import { killAndRestartRtpengine } from '../support/fault-injection.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';
import { END_CAUSE_MEDIA_TIMEOUT, logVersusWire, wireCall } from '../support/wire-and-log.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const TONE_HZ = 1000;
/**
 * How often the media-worker compares the sessions it holds with rtpengine's (its SESSION_CHECK_INTERVAL_MS,
 * given through the environment the services inherit).
 */
const RECONCILE_INTERVAL_MS = 3000;
/** The leg must be found and ended within this after rtpengine is back. */
const FOUND_WITHIN_MS = 3 * RECONCILE_INTERVAL_MS + 5000;

describe('rtpengine killed and restarted mid-call', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;
  let restarted: ManagedProcess | undefined;

  beforeAll(async () => {
    process.env.SESSION_CHECK_INTERVAL_MS = String(RECONCILE_INTERVAL_MS);
    try {
      p = await startPlatform();
    } finally {
      delete process.env.SESSION_CHECK_INTERVAL_MS;
    }
    makeToneFile(p.edge.dir, 'long-tone.wav', 10, TONE_HZ);
    files = await serveFiles(p.edge.dir);
  });
  afterAll(async () => {
    await restarted?.stop();
    await files?.close();
    await p?.close();
  });

  it('records the lost media and ends the leg instead of keeping it answered', async () => {
    const rtp = await RtpEndpoint.open();
    let callId = '';
    try {
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'media-lost',
        args: ['-key', 'rtp_port', String(rtp.port)],
        timeoutMs: 50_000,
      });
      const initiated = await p.event('legInitiated', (e) =>
        e.event.legInitiated.toUri.includes('sip:media-lost@'),
      );
      const { legId } = initiated.event.legInitiated;
      callId = initiated.event.legInitiated.callId;
      await p.api.answerLeg({ callId, legId, clientState: '' });
      await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
      await p.api.playMedia({
        callId,
        legId,
        media: { $case: 'url', url: files.url('long-tone.wav') },
        repeat: 3,
        idempotencyKey: `play-${callId}`,
      });
      await waitFor('the tone at the caller', () => rtp.recentToneRatio(TONE_HZ) > 0.5, 15_000);

      restarted = await killAndRestartRtpengine(p.edge.rtpengine, 1000);
      expect(await p.edge.rtpengine.listCalls()).toEqual([]);

      // LegMediaLost by its type name: this branch's generated code does not know the event yet.
      await waitFor(
        'LegMediaLost for the leg',
        () => p.eventsOf(callId).some((e) => e.envelope?.type === 'LegMediaLost'),
        FOUND_WITHIN_MS,
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; the call's events: ${p
            .eventsOf(callId)
            .map((e) => e.envelope?.type)
            .join(', ')}`,
        );
      });
      const ended = await p.event('legEnded', (e) => e.event.legEnded.legId === legId, 10_000);
      expect(ended.event.legEnded.cause).toBe(END_CAUSE_MEDIA_TIMEOUT);
      const result = await sipp.result;
      p.edge.expectSippSucceeded(result);
      await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      expect(logVersusWire('media-lost', wireCall(result.messages), p.eventsOf(callId))).toEqual([]);
    } finally {
      // A failed expectation leaves the caller up: end it so that sipp does not outlive the test.
      if (callId) await p.api.hangup({ callId, legId: '' }).catch(() => undefined);
      await rtp.close();
    }
  });
});
