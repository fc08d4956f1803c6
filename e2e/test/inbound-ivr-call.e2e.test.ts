// The README's demo, end to end with real peers: sipp calls the SIP engine; a test "application" that uses
// only the public CallControl API answers, plays a tone, collects the digits the caller presses (RFC 4733
// pcaps from sip-tester) and hangs up. The caller's SDP points at an RTP socket the test owns, so the tone
// is measured where the caller would hear it.
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { callEvents, type callControl } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor, makeToneFile } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const TONE_HZ = 1000;
const TONE_DETECTED = 0.5; // share of the received power at TONE_HZ

describe('an inbound call answered, played to and hung up by an application over CallControl', () => {
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

  it('plays a tone the caller hears, collects the digits it presses and hangs up', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uac-rfc2833-digits-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'ivr',
        args: ['-key', 'rtp_port', String(rtp.port)],
        timeoutMs: 40_000,
      });
      const initiated = await p.event('legInitiated', (e) => e.event.legInitiated.toUri.includes('sip:ivr@'));
      const { callId, legId } = initiated.event.legInitiated;
      expect(initiated.event.legInitiated.direction).toBe(callEvents.LegDirection.LEG_DIRECTION_INBOUND);

      await p.rpc(p.api.answerLeg, { callId, legId, clientState: 'demo' });
      await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
      const collect = await p.rpc<callControl.CollectDigitsRequest, callControl.CollectDigitsResponse>(
        p.api.collectDigits,
        {
          callId,
          legId,
          maxDigits: 3,
          terminators: '',
          firstDigitTimeoutMs: 20_000,
          interDigitTimeoutMs: 5_000,
          idempotencyKey: `collect-${callId}`,
          prompts: [],
          bargeIn: false,
        },
      );
      const played = await p.rpc<callControl.PlayMediaRequest, callControl.PlayMediaResponse>(
        p.api.playMedia,
        {
          callId,
          legId,
          media: { $case: 'url', url: files.url('tone-1000.wav') },
          repeat: 1,
          idempotencyKey: `play-${callId}`,
        },
      );
      expect(played.playbackId).not.toBe('');

      await waitFor('the tone at the caller', () => rtp.recentToneRatio(TONE_HZ) > TONE_DETECTED, 15_000);

      const collected = await p.event(
        'digitsCollected',
        (e) => e.event.digitsCollected.collectId === collect.collectId,
        30_000,
      );
      expect(collected.event.digitsCollected).toMatchObject({ digits: '123', legId, clientState: 'demo' });

      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await sipp.result);
      const ended = await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      expect(ended.event.callEnded.cause).toBe(callEvents.EndCause.END_CAUSE_LOCAL_HANGUP);
    } finally {
      await rtp.close();
    }
  });
  it('refuses bad requests with a clear status and records nothing', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'bad-input',
        args: ['-key', 'rtp_port', String(rtp.port)],
      });
      const initiated = await p.event('legInitiated', (e) =>
        e.event.legInitiated.toUri.includes('sip:bad-input@'),
      );
      const { callId, legId } = initiated.event.legInitiated;
      await p.rpc(p.api.answerLeg, { callId, legId, clientState: '' });
      await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
      const version = async () =>
        (await p.rpc<callControl.GetCallRequest, callControl.GetCallResponse>(p.api.getCall, { callId }))
          .call!.version;
      const before = await version();

      await expect(
        p.rpc(p.api.playMedia, {
          callId,
          legId,
          media: { $case: 'url', url: files.url('no-such-file.wav') },
          repeat: 0,
          idempotencyKey: `missing-${callId}`,
        }),
      ).rejects.toMatchObject({
        status: status.NOT_FOUND,
        details: expect.stringContaining('no-such-file.wav'),
      });
      await expect(p.rpc(p.api.answerLeg, { callId, legId, clientState: '' })).rejects.toMatchObject({
        status: status.FAILED_PRECONDITION,
      });
      await expect(p.rpc(p.api.getCall, { callId: 'no-such-call' })).rejects.toMatchObject({
        status: status.NOT_FOUND,
      });
      await expect(
        p.rpc(p.api.dial, {
          callId,
          bridgeWithLegId: legId,
          toUri: 'not a sip uri',
          fromUri: '',
          ringTimeoutMs: 0,
          idempotencyKey: `bad-uri-${callId}`,
        }),
      ).rejects.toMatchObject({ status: status.INVALID_ARGUMENT });
      expect(await version()).toBe(before);

      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await sipp.result);
    } finally {
      await rtp.close();
    }
  });
  it('reports a digit the caller sends by SIP INFO as DtmfReceived', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uac-info-dtmf-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'info-digit',
        args: ['-key', 'rtp_port', String(rtp.port)],
      });
      const initiated = await p.event('legInitiated', (e) =>
        e.event.legInitiated.toUri.includes('sip:info-digit@'),
      );
      const { callId, legId } = initiated.event.legInitiated;
      await p.rpc(p.api.answerLeg, { callId, legId, clientState: '' });
      const digit = await p.event('dtmfReceived', (e) => e.event.dtmfReceived.callId === callId);
      expect(digit.event.dtmfReceived).toMatchObject({ legId, digit: '7' });
      await p.rpc(p.api.hangup, { callId, legId: '' });
      p.edge.expectSippSucceeded(await sipp.result);
    } finally {
      await rtp.close();
    }
  });
});
