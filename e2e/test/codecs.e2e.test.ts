// Every codec of the platform's default policy with a real caller (issue #12, items 4 and 5): sipp offers
// one codec and telephone-event, its SDP points at an RTP endpoint the test owns. The platform answers with
// that codec; a prompt played to the caller is decoded by ffmpeg at the endpoint and its tone detected; the
// caller's RFC 4733 digit is collected. Then an echo test with the caller's own tone, and a caller whose
// only codec the policy does not allow.
import { join } from 'node:path';
import { callEvents, type callControl } from '@callctl/proto';
import {
  CodecEndpoint,
  RTP_CODECS,
  RtpEndpoint,
  makeToneFile,
  startSipp,
  toneRatio,
  waitFor,
  type RtpCodecName,
  type SippResult,
} from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const TONE_HZ = 1000;
const TONE_DETECTED = 0.5; // share of the received power at TONE_HZ
/** 60 packets of 20 ms: more than a second of the prompt to decode. */
const PACKETS_TO_DECODE = 60;
/** The first 300 ms of the decoded prompt are left out: decoder start-up (opus pre-skip, ADPCM). */
const SETTLE_SAMPLES = 2400;

/**
 * What the platform's answer must say for each codec: its rtpmap (the RTP clock: 8000 for G.711, G.729 and
 * GSM, and for G.722 too although it carries 16 kHz audio, RFC 3551 §4.5.2; 48000 for opus) and the
 * telephone-event of the same clock.
 */
const ANSWERS: Record<RtpCodecName, { rtpmap: string; eventRate: number }> = {
  PCMU: { rtpmap: 'PCMU/8000', eventRate: 8000 },
  PCMA: { rtpmap: 'PCMA/8000', eventRate: 8000 },
  G722: { rtpmap: 'G722/8000', eventRate: 8000 },
  G729: { rtpmap: 'G729/8000', eventRate: 8000 },
  GSM: { rtpmap: 'GSM/8000', eventRate: 8000 },
  opus: { rtpmap: 'opus/48000/2', eventRate: 48000 },
};

/** The SDP of the 200 OK the caller received, from sipp's message trace. */
function answerSdp(result: SippResult): string {
  const ok = result.messages
    .split(/-{10,}.*\n/)
    .map((chunk) => chunk.slice(Math.max(0, chunk.indexOf('SIP/2.0 200 OK'))))
    .find((message) => message.startsWith('SIP/2.0 200 OK') && /CSeq:\s*1 INVITE/i.test(message));
  const body = ok?.split(/\r?\n\r?\n/)[1];
  if (!body?.includes('m=audio')) throw new Error(`no 200 OK with SDP in:\n${result.messages.slice(-4000)}`);
  return body;
}

describe('codecs: a caller offering only one codec', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;

  beforeAll(async () => {
    p = await startPlatform();
    makeToneFile(p.edge.dir, 'tone-1000.wav', 4, TONE_HZ);
    files = await serveFiles(p.edge.dir);
  });
  afterAll(async () => {
    await files?.close();
    await p?.close();
  });

  /** A sipp caller offering `codec` alone (+ telephone-event); resolves once the platform answered. */
  async function answeredCaller(codec: RtpCodecName, service: string, rtp: { port: number }) {
    const spec = RTP_CODECS[codec];
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uac-one-codec-expect-bye.xml'),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
      args: [
        ...['-key', 'rtp_port', String(rtp.port)],
        ...['-key', 'codec_pt', String(spec.payloadType)],
        ...['-key', 'codec_rtpmap', spec.rtpmap],
        ...['-key', 'codec_attribute', spec.fmtp ? `fmtp:${spec.payloadType} ${spec.fmtp}` : 'ptime:20'],
        ...['-key', 'event_rate', String(spec.clockRate)],
      ],
      timeoutMs: 40_000,
    });
    const initiated = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.startsWith(`sip:${service}@`),
    );
    const { callId, legId, media } = initiated.event.legInitiated;
    await p.rpc(p.api.answerLeg, { callId, legId, clientState: '' });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    return { sipp, callId, legId, rtpengineSide: await p.edge.rtpengineSideOf(media!) };
  }

  it.each(['PCMU', 'PCMA', 'G722', 'opus', 'GSM', 'G729'] as const)(
    '%s: answered with it; hears the prompt decoded; its RFC 4733 digit is collected',
    async (codec) => {
      const rtp = await CodecEndpoint.open(codec);
      try {
        const call = await answeredCaller(codec, `codec-${codec.toLowerCase()}`, rtp);
        rtp.useRemote(call.rtpengineSide);
        const { callId, legId } = call;

        await p.rpc<callControl.PlayMediaRequest, callControl.PlayMediaResponse>(p.api.playMedia, {
          callId,
          legId,
          media: { $case: 'url', url: files.url('tone-1000.wav') },
          repeat: 1,
          idempotencyKey: `play-${callId}`,
        });
        await waitFor(`${codec} prompt packets`, () => rtp.received.length >= PACKETS_TO_DECODE, 15_000);
        // Nothing but the codec came (no fallback to another payload type).
        expect([...rtp.payloadTypes.keys()]).toEqual([rtp.codec.payloadType]);
        const heard = (await rtp.decodeReceived()).slice(SETTLE_SAMPLES);
        expect(toneRatio(heard, TONE_HZ)).toBeGreaterThan(TONE_DETECTED);

        const collect = await p.rpc<callControl.CollectDigitsRequest, callControl.CollectDigitsResponse>(
          p.api.collectDigits,
          {
            callId,
            legId,
            maxDigits: 1,
            terminators: '',
            firstDigitTimeoutMs: 15_000,
            interDigitTimeoutMs: 5_000,
            idempotencyKey: `collect-${callId}`,
            prompts: [],
            bargeIn: false,
          },
        );
        await rtp.sendDigit('5');
        const collected = await p.event(
          'digitsCollected',
          (e) => e.event.digitsCollected.collectId === collect.collectId,
        );
        expect(collected.event.digitsCollected).toMatchObject({ digits: '5', legId });

        await p.rpc(p.api.hangup, { callId, legId: '' });
        const result = await call.sipp.result;
        p.edge.expectSippSucceeded(result);
        const sdp = answerSdp(result);
        const { rtpmap, eventRate } = ANSWERS[codec];
        const pt = rtp.codec.payloadType;
        expect(sdp).toMatch(new RegExp(`^m=audio \\d+ RTP/AVP ${pt} 101\\r?$`, 'm'));
        expect(sdp).toMatch(new RegExp(`^a=rtpmap:${pt} ${rtpmap}\\r?$`, 'm'));
        expect(sdp).toMatch(new RegExp(`^a=rtpmap:101 telephone-event/${eventRate}\\r?$`, 'm'));
      } finally {
        await rtp.close();
      }
    },
  );

  it('refuses a caller whose only codec the policy does not allow with 488 naming the allowed ones', async () => {
    const result = await startSipp({
      scenario: join(SCENARIOS, 'uac-one-codec-expect-488.xml'),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service: 'codec-speex',
      args: [
        ...['-key', 'rtp_port', '9'],
        ...['-key', 'codec_pt', '97'],
        ...['-key', 'codec_rtpmap', 'speex/16000'],
      ],
    }).then((sipp) => sipp.result);
    p.edge.expectSippSucceeded(result);
    // Refused before the call was recorded: the application never heard of it.
    const offered = p.events.filter(
      (e) => e.event?.$case === 'legInitiated' && e.event.legInitiated.toUri.startsWith('sip:codec-speex@'),
    );
    expect(offered).toEqual([]);
  });

  it('bridges a caller with only G.729 to a PCMU-only callee, offered the policy, through the transcoder', async () => {
    const callerRtp = await CodecEndpoint.open('G729');
    const calleeRtp = await RtpEndpoint.open();
    const callee = await startSipp({
      scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
      args: ['-key', 'rtp_port', String(calleeRtp.port)],
    });
    try {
      const spec = RTP_CODECS.G729;
      const caller = await startSipp({
        scenario: join(SCENARIOS, 'uac-one-codec-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'codec-bridge-g729',
        args: [
          ...['-key', 'rtp_port', String(callerRtp.port)],
          ...['-key', 'codec_pt', String(spec.payloadType)],
          ...['-key', 'codec_rtpmap', spec.rtpmap],
          ...['-key', 'codec_attribute', `fmtp:${spec.payloadType} ${spec.fmtp!}`],
          ...['-key', 'event_rate', '8000'],
        ],
        timeoutMs: 40_000,
      });
      const initiated = await p.event('legInitiated', (e) =>
        e.event.legInitiated.toUri.startsWith('sip:codec-bridge-g729@'),
      );
      const { callId, legId: callerLeg, media } = initiated.event.legInitiated;
      const dialled = await p.rpc<callControl.DialRequest, callControl.DialResponse>(p.api.dial, {
        callId,
        bridgeWithLegId: callerLeg,
        toUri: `sip:callee@127.0.0.1:${callee.port}`,
        fromUri: '',
        ringTimeoutMs: 10_000,
        idempotencyKey: `dial-${callId}`,
      });
      await p.event('legAnswered', (e) => e.event.legAnswered.legId === callerLeg);
      const calleeInitiated = await p.event(
        'legInitiated',
        (e) => e.event.legInitiated.legId === dialled.legId,
      );
      callerRtp.useRemote(await p.edge.rtpengineSideOf(media!));
      calleeRtp.useRemote(await p.edge.rtpengineSideOf(calleeInitiated.event.legInitiated.media!));

      calleeRtp.startTone(TONE_HZ);
      await waitFor('G.729 at the caller', () => callerRtp.received.length >= PACKETS_TO_DECODE, 10_000);
      expect([...callerRtp.payloadTypes.keys()]).toEqual([spec.payloadType]);
      expect(toneRatio((await callerRtp.decodeReceived()).slice(SETTLE_SAMPLES), TONE_HZ)).toBeGreaterThan(
        TONE_DETECTED,
      );
      calleeRtp.stopTone();

      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await caller.result);
      const served = await callee.result;
      p.edge.expectSippSucceeded(served);
      // The callee was offered exactly the policy: the caller's own codec first (no transcoding needed if
      // the callee has it), then the others.
      const offer = served.messages.slice(served.messages.indexOf('INVITE sip:'));
      const m = /^m=audio \d+ RTP\/AVP ([\d ]+)/m.exec(offer)?.[1]?.trim().split(' ') ?? [];
      const rtpmapOf = (pt: string) => new RegExp(`^a=rtpmap:${pt} (\\S+)`, 'm').exec(offer)?.[1];
      const offered = m.map((pt) => rtpmapOf(pt) ?? pt).filter((name) => !name.startsWith('telephone-event'));
      expect(offered).toEqual([
        'G729/8000',
        'PCMU/8000',
        'PCMA/8000',
        'G722/8000',
        'opus/48000/2',
        'GSM/8000',
      ]);
    } finally {
      await callee.stop(1000);
      await callerRtp.close();
      await calleeRtp.close();
    }
  });

  it('echo: the caller hears its own tone between StartEcho and StopEcho, and nothing outside', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const call = await answeredCaller('PCMU', 'echo-test', rtp);
      const { callId, legId } = call;
      rtp.useRemote(call.rtpengineSide);
      rtp.startTone(TONE_HZ);
      await delay(600);
      expect(rtp.packetsReceived).toBe(0); // nothing comes back before the echo

      await p.rpc(p.api.startEcho, { callId, legId });
      await p.event('echoStarted', (e) => e.event.echoStarted.callId === callId);
      await waitFor('the own tone back', () => rtp.recentToneRatio(TONE_HZ) > TONE_DETECTED, 10_000);

      await p.rpc(p.api.stopEcho, { callId, legId });
      await p.event('echoStopped', (e) => e.event.echoStopped.callId === callId);
      await delay(300); // packets already on their way
      rtp.clearReceived();
      await delay(1000);
      expect(rtp.packetsReceived).toBe(0);

      rtp.stopTone();
      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await call.sipp.result);
      const ended = await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      expect(ended.event.callEnded.cause).toBe(callEvents.EndCause.END_CAUSE_LOCAL_HANGUP);
    } finally {
      await rtp.close();
    }
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
