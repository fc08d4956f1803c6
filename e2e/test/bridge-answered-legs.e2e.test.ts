// BridgeLegs over the public CallControl API, of two legs that were each answered on their own: a caller
// answered with AnswerLeg, and a callee placed with Dial (no bridge_with_leg_id) and answered by a sipp UAS.
// The platform re-INVITEs both (the caller without SDP, RFC 3725) so that their media meets in one
// rtpengine session. The RTP sockets belong to the test; each sends to the address its SIP UA was given
// (logged by the sipp scenario), so the tones prove the SIP side as well as the media.
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { callEvents, type callControl } from '@callctl/proto';
import { makeToneFile, RtpEndpoint, startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const PROMPT_HZ = 1000;
const TONE_DETECTED = 0.5;

/** A sipp UA with its own RTP socket and the log its scenario writes (`<log>` actions). */
interface Party {
  sipp: RunningSipp;
  rtp: RtpEndpoint;
  /** `c=`/`m=` of the last line `<label> <ip> <port>` in the UA's log, for RtpEndpoint.useRemote. */
  logged(label: string): Promise<string>;
}

describe('BridgeLegs of two legs answered on their own', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;
  let logs: string;
  const sipps: RunningSipp[] = [];
  const endpoints: RtpEndpoint[] = [];

  const party = async (
    name: string,
    scenario: string,
    caller?: { remote: string; service: string },
  ): Promise<Party> => {
    const rtp = await RtpEndpoint.open();
    endpoints.push(rtp);
    const logFile = join(logs, `${name}.log`);
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      ...(caller ?? {}),
      args: ['-key', 'rtp_port', String(rtp.port), '-trace_logs', '-log_file', logFile],
      timeoutMs: 40_000,
    });
    sipps.push(sipp);
    const logged = async (label: string) => {
      const line = await waitFor(`${name} logged ${label}`, () => {
        if (!existsSync(logFile)) return undefined;
        const found = readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(`${label} `));
        return found.at(-1);
      });
      const [, ip, port] = line.trim().split(/\s+/);
      return `c=IN IP4 ${ip}\r\nm=audio ${port} RTP/AVP 0\r\n`;
    };
    return { sipp, rtp, logged };
  };

  /** A caller answered by the application, and a callee dialled into its call without a bridge. */
  const twoAnsweredLegs = async (service: string, calleeScenario: string) => {
    const callee = await party(`${service}-callee`, calleeScenario);
    const caller = await party(`${service}-caller`, 'uac-answered-offers-in-reinvite-expect-bye.xml', {
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
    });
    const inbound = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    const { callId, legId: callerLeg } = inbound.event.legInitiated;
    await p.rpc(p.api.answerLeg, { callId, legId: callerLeg, clientState: '' });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === callerLeg);
    const dialled = await p.rpc<callControl.DialRequest, callControl.DialResponse>(p.api.dial, {
      callId,
      bridgeWithLegId: '',
      toUri: `sip:callee@127.0.0.1:${callee.sipp.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `dial-${callId}`,
    });
    const calleeLeg = dialled.legId;
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === calleeLeg);
    return { callId, callerLeg, calleeLeg, caller, callee };
  };

  const bridge = (callId: string, legAId: string, legBId: string, attempt = 1) =>
    p.rpc<callControl.BridgeLegsRequest, callControl.BridgeLegsResponse>(p.api.bridgeLegs, {
      callId,
      legAId,
      legBId,
      idempotencyKey: `bridge-${callId}-${attempt}`,
    });

  /** Each party hears the other's tone, sent where its SIP UA was last told to send. */
  const expectTwoWayAudio = async (a: Party, aRemote: string, b: Party, bRemote: string) => {
    a.rtp.useRemote(aRemote);
    b.rtp.useRemote(bRemote);
    a.rtp.startTone(CALLER_HZ);
    b.rtp.startTone(CALLEE_HZ);
    try {
      const heard = (who: string, rtp: RtpEndpoint, hz: number) =>
        waitFor(who, () => rtp.recentToneRatio(hz) > TONE_DETECTED, 10_000);
      await heard('the caller heard by the callee', b.rtp, CALLER_HZ);
      await heard('the callee heard by the caller', a.rtp, CALLEE_HZ);
    } finally {
      a.rtp.stopTone();
      b.rtp.stopTone();
    }
  };

  beforeAll(async () => {
    logs = mkdtempSync(join(tmpdir(), 'bridge-legs-'));
    p = await startPlatform();
    makeToneFile(p.edge.dir, 'prompt.wav', 2, PROMPT_HZ);
    files = await serveFiles(p.edge.dir);
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    await files?.close();
    await p?.close();
    rmSync(logs, { recursive: true, force: true });
  });

  it('joins their media both ways, and a BYE on one ends the other', async () => {
    const call = await twoAnsweredLegs('bridge-legs', 'uas-late-offer-accepts-reinvite-then-bye.xml');

    const { bridgeId } = await bridge(call.callId, call.callerLeg, call.calleeLeg);
    expect(bridgeId).not.toBe('');
    const bridged = await p.event('legsBridged', (e) => e.event.legsBridged.bridgeId === bridgeId);
    expect(bridged.event.legsBridged).toMatchObject({ legAId: call.callerLeg, legBId: call.calleeLeg });
    // The legs' media moved to a session of the bridge's own, which the event names.
    expect(bridged.event.legsBridged.mediaSessionId).not.toBe('');
    // A retry of the same request is answered from the log, with no second re-INVITE (the UAs expect none).
    expect(await bridge(call.callId, call.callerLeg, call.calleeLeg)).toEqual({ bridgeId });

    await expectTwoWayAudio(
      call.caller,
      await call.caller.logged('answer-in-ack'),
      call.callee,
      await call.callee.logged('offer-in-reinvite'),
    );

    // Prompts and digits still reach the legs through the bridge session, addressed by the call.
    const collect = await p.rpc<callControl.CollectDigitsRequest, callControl.CollectDigitsResponse>(
      p.api.collectDigits,
      {
        callId: call.callId,
        legId: call.callerLeg,
        maxDigits: 1,
        terminators: '',
        firstDigitTimeoutMs: 5_000,
        interDigitTimeoutMs: 1_000,
        idempotencyKey: `collect-${call.callId}`,
        prompts: [],
        bargeIn: false,
      },
    );
    await call.caller.rtp.sendDigit('7');
    const digits = await p.event(
      'digitsCollected',
      (e) => e.event.digitsCollected.collectId === collect.collectId,
    );
    expect(digits.event.digitsCollected.digits).toBe('7');
    const played = await p.rpc<callControl.PlayMediaRequest, callControl.PlayMediaResponse>(p.api.playMedia, {
      callId: call.callId,
      legId: call.calleeLeg,
      media: { $case: 'url', url: files.url('prompt.wav') },
      repeat: 1,
      idempotencyKey: `play-${call.callId}`,
    });
    await waitFor(
      'the prompt at the callee',
      () => call.callee.rtp.recentToneRatio(PROMPT_HZ) > TONE_DETECTED,
      10_000,
    );
    await p.event('playbackFinished', (e) => e.event.playbackFinished.playbackId === played.playbackId);

    // The callee hangs up; the orchestrator ends the caller as the bridge's peer.
    p.edge.expectSippSucceeded(await call.callee.sipp.result);
    p.edge.expectSippSucceeded(await call.caller.sipp.result);
    const calleeEnded = await p.event('legEnded', (e) => e.event.legEnded.legId === call.calleeLeg);
    expect(calleeEnded.event.legEnded.cause).toBe(C.END_CAUSE_REMOTE_HANGUP);
    const callerEnded = await p.event('legEnded', (e) => e.event.legEnded.legId === call.callerLeg);
    expect(callerEnded.event.legEnded.cause).toBe(C.END_CAUSE_BRIDGE_PEER_ENDED);
    await p.event('callEnded', (e) => e.event.callEnded.callId === call.callId);
    // sip-edge's LegsBridged facts (for the request and for its retry) found the bridge already recorded.
    expect(p.eventsOf(call.callId).filter((e) => e.event?.$case === 'legsBridged')).toHaveLength(1);
  });

  it('leaves both legs as they were when the callee refuses the re-INVITE, and says so', async () => {
    const call = await twoAnsweredLegs('bridge-legs-488', 'uas-late-offer-refuses-reinvite-expect-bye.xml');

    // Twice: a second attempt re-INVITEs the same dialogs again and gets the same answer.
    for (const attempt of [1, 2]) {
      const refusal = await bridge(call.callId, call.callerLeg, call.calleeLeg, attempt).then(
        () => undefined,
        (error: { status: number; details: string }) => error,
      );
      expect(refusal).toMatchObject({ status: status.FAILED_PRECONDITION });
      expect(refusal?.details).toContain(`leg ${call.calleeLeg}`);
      expect(refusal?.details).toContain('488');
    }
    expect(p.eventsOf(call.callId).map((e) => e.event?.$case)).not.toContain('legsBridged');

    // The caller's ACK kept its old media address; the callee was told nothing new.
    const callerMedia = await call.caller.logged('answer-in-ack');
    expect(callerMedia).toBe(await call.caller.logged('answer-in-200'));
    const calleeMedia = await call.callee.logged('answer-in-ack');

    // Their old sessions still work: a prompt played to each leg reaches it.
    for (const [legId, rtp, remote] of [
      [call.callerLeg, call.caller.rtp, callerMedia],
      [call.calleeLeg, call.callee.rtp, calleeMedia],
    ] as const) {
      rtp.useRemote(remote);
      await p.rpc(p.api.playMedia, {
        callId: call.callId,
        legId,
        media: { $case: 'url', url: files.url('prompt.wav') },
        repeat: 1,
        idempotencyKey: `play-${legId}`,
      });
      await waitFor(
        `the prompt at leg ${legId}`,
        () => rtp.recentToneRatio(PROMPT_HZ) > TONE_DETECTED,
        10_000,
      );
    }

    await p.rpc(p.api.hangup, { callId: call.callId, legId: '' });
    p.edge.expectSippSucceeded(await call.caller.sipp.result);
    p.edge.expectSippSucceeded(await call.callee.sipp.result);
    await p.event('callEnded', (e) => e.event.callEnded.callId === call.callId);
  });
});
