// Processes killed with SIGKILL in the middle of an answered call: the call-orchestrator (media and
// control survive) and sip-edge (what it cannot recover ends cleanly, with an event).
import { join } from 'node:path';
import { callEvents, type callControl } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor, makeToneFile } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(120_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const TONE_HZ = 1000;
const TONE_DETECTED = 0.5;
const PACKETS_PER_SECOND = 50;

describe('crashes during an answered call', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;

  /** A sipp caller answered by the application, with a long tone playing to it. */
  const answeredCall = async (service: string, rtp: RtpEndpoint) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
      args: ['-key', 'rtp_port', String(rtp.port)],
      timeoutMs: 60_000,
    });
    const initiated = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    const { callId, legId } = initiated.event.legInitiated;
    await p.rpc(p.api.answerLeg, { callId, legId, clientState: service });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await p.rpc(p.api.playMedia, {
      callId,
      legId,
      media: { $case: 'url', url: files.url('long-tone.wav') },
      repeat: 3,
      idempotencyKey: `play-${callId}`,
    });
    await waitFor('the tone at the caller', () => rtp.recentToneRatio(TONE_HZ) > TONE_DETECTED, 15_000);
    return { sipp, callId, legId };
  };
  const getCall = async (callId: string) =>
    (await p.rpc<callControl.GetCallRequest, callControl.GetCallResponse>(p.api.getCall, { callId })).call;

  beforeAll(async () => {
    p = await startPlatform();
    makeToneFile(p.edge.dir, 'long-tone.wav', 10, TONE_HZ);
    files = await serveFiles(p.edge.dir);
  });
  afterAll(async () => {
    await files?.close();
    await p?.close();
  });

  it('keeps the media of a call while the orchestrator is dead, and controls it again after its restart', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const { sipp, callId } = await answeredCall('orchestrator-crash', rtp);
      const before = await getCall(callId);

      await p.killOrchestrator();
      rtp.clearReceived();
      await waitFor(
        '2 s of media while the orchestrator is dead',
        () => rtp.packetsReceived >= 2 * PACKETS_PER_SECOND,
        10_000,
      );
      expect(rtp.recentToneRatio(TONE_HZ, 1000)).toBeGreaterThan(TONE_DETECTED);
      expect(p.orchestrator.process.child.signalCode).toBe('SIGKILL');

      await p.startOrchestrator();
      expect(await getCall(callId)).toEqual(before);

      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await sipp.result);
      const ended = await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      expect(ended.event.callEnded.cause).toBe(C.END_CAUSE_LOCAL_HANGUP);
    } finally {
      await rtp.close();
    }
  });

  it('ends a call sip-edge lost in a crash with BYE to the caller and a LegEnded event', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const { sipp, callId, legId } = await answeredCall('edge-crash', rtp);

      await p.edge.restartSipEdge();

      p.edge.expectSippSucceeded(await sipp.result);
      const legEnded = await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
      expect(legEnded.event.legEnded).toMatchObject({
        cause: C.END_CAUSE_PLATFORM_FAILURE,
        reason: 'sip-edge restarted',
      });
      await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      const view = await getCall(callId);
      expect(view).toMatchObject({
        ended: true,
        legs: [expect.objectContaining({ legId, endCause: C.END_CAUSE_PLATFORM_FAILURE })],
      });
    } finally {
      await rtp.close();
    }
  });
});
