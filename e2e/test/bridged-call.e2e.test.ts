// An inbound caller dialled through to a callee (Dial with bridge) over the public CallControl API: sip-edge
// acts as a B2BUA with rtpengine relaying the media, and either side's BYE ends the other.
import { join } from 'node:path';
import { callEvents, type callControl } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const TONE_DETECTED = 0.5;

describe('a caller dialled through to a callee', () => {
  let p: PlatformUnderTest;
  const sipps: RunningSipp[] = [];
  const endpoints: RtpEndpoint[] = [];

  const endpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  const sipp = async (scenario: string, rtp: RtpEndpoint, caller?: { remote: string; service: string }) => {
    const run = await startSipp({
      scenario: join(SCENARIOS, scenario),
      ...(caller ?? {}),
      args: ['-key', 'rtp_port', String(rtp.port)],
    });
    sipps.push(run);
    return run;
  };
  /** The caller calls, the application dials the callee from the ringing inbound leg. */
  const dialThrough = async (service: string, callerScenario: string, calleeScenario: string) => {
    const callerRtp = await endpoint();
    const calleeRtp = await endpoint();
    const callee = await sipp(calleeScenario, calleeRtp);
    const caller = await sipp(callerScenario, callerRtp, {
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
    });
    const inbound = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    const { callId, legId: callerLeg } = inbound.event.legInitiated;
    const dialled = await p.rpc<callControl.DialRequest, callControl.DialResponse>(p.api.dial, {
      callId,
      bridgeWithLegId: callerLeg,
      toUri: `sip:callee@127.0.0.1:${callee.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `dial-${callId}`,
    });
    return { callId, callerLeg, calleeLeg: dialled.legId, caller, callee, callerRtp, calleeRtp };
  };

  /** Where the leg's media is, as its LegInitiated event records it. */
  const mediaOf = async (legId: string) => {
    const initiated = await p.event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    const media = initiated.event.legInitiated.media;
    if (!media?.sessionId) throw new Error(`LegInitiated of ${legId} names no media`);
    return media;
  };

  beforeAll(async () => {
    p = await startPlatform();
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    await p?.close();
  });

  /** Both sipps finished as scripted; the leg whose far end hung up ended so, and its peer with it. */
  async function expectEnded(
    call: { caller: RunningSipp; callee: RunningSipp },
    legs: { hungUp: string; peer: string },
  ): Promise<void> {
    p.edge.expectSippSucceeded(await call.caller.result);
    p.edge.expectSippSucceeded(await call.callee.result);
    const hungUp = await p.event('legEnded', (e) => e.event.legEnded.legId === legs.hungUp);
    expect(hungUp.event.legEnded.cause).toBe(C.END_CAUSE_REMOTE_HANGUP);
    const peer = await p.event('legEnded', (e) => e.event.legEnded.legId === legs.peer);
    expect(peer.event.legEnded.cause).toBe(C.END_CAUSE_BRIDGE_PEER_ENDED);
  }

  it("relays media both ways, and the callee's BYE ends the caller", async () => {
    const call = await dialThrough(
      'bridge-callee-bye',
      'uac-answered-expect-bye.xml',
      'uas-answers-then-bye.xml',
    );
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === call.callerLeg);
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === call.calleeLeg);

    call.callerRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(call.callerLeg)));
    call.calleeRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(call.calleeLeg)));
    call.callerRtp.startTone(CALLER_HZ);
    call.calleeRtp.startTone(CALLEE_HZ);
    await waitFor(
      'the caller heard by the callee',
      () => call.calleeRtp.recentToneRatio(CALLER_HZ) > TONE_DETECTED,
      10_000,
    );
    await waitFor(
      'the callee heard by the caller',
      () => call.callerRtp.recentToneRatio(CALLEE_HZ) > TONE_DETECTED,
      10_000,
    );
    call.callerRtp.stopTone();
    call.calleeRtp.stopTone();

    await expectEnded(call, { hungUp: call.calleeLeg, peer: call.callerLeg });
    await p.event('callEnded', (e) => e.event.callEnded.callId === call.callId);
  });

  it('ends the callee when the caller hangs up', async () => {
    const call = await dialThrough(
      'bridge-caller-bye',
      'uac-answered-then-bye.xml',
      'uas-answers-expect-bye.xml',
    );
    await expectEnded(call, { hungUp: call.callerLeg, peer: call.calleeLeg });
    expect(p.eventsOf(call.callId).map((e) => e.event?.$case)).toContain('legsBridged');
  });
});
