// Media streams to a customer WebSocket (issue 18) through the public API, with the stream gateway as a
// process, real sipp parties whose RTP the test owns (caller 700 Hz, callee 1300 Hz), rtpengine, NATS and
// PostgreSQL, and a `ws` receiver in the test (plain and TLS): every message type and field, the tones
// decoded from the base64 frames of the right channel, one gapless sequence, DTMF, a transfer's metadata,
// the close reasons, PCMU, L16 16 kHz and a mixed track, several streams on a call, TLS verified by the
// test's CA and refused for a certificate nobody trusts, and bad input that records nothing.
import { callControl, callEvents } from '@callctl/proto';
import {
  freePort,
  makeCertificateAuthority,
  type RtpEndpoint,
  waitFor,
  type TestCertificateAuthority,
  watchEventLoopStalls,
} from '@callctl/testing';
import {
  CALLEE_HZ,
  CALLER_HZ,
  callParties,
  hearEachOther,
  sleep,
  TONE_ABSENT,
  TONE_DETECTED,
  TONE_PRESENT,
} from '../support/call-parties.js';
import { phoneCalls } from '../support/phone-calls.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import {
  channelTone,
  closeReason,
  ENCODING,
  payloadSizes,
  sequenceProblems,
  STOP,
  streamRequest,
  timelineProblems,
  TRACKS,
} from '../support/stream-calls.js';
import { bodyOf, StreamReceiver, type StartBody, type StreamMessage } from '../support/stream-receiver.js';

jest.setTimeout(90_000);

const TARGET_HZ = 1800;

/** Stalls of this process, which sends the parties' RTP: a gap in what it sent is not the gateway's. */
const stalls = watchEventLoopStalls();
afterAll(() => stalls.stop());
const senderStalled = (from: number, to: number) => stalls.longestWithin(from, to) >= 40;
const PCMU = { encoding: 'audio/x-mulaw', sampleRate: 8000 };
const L16_16K = { encoding: 'audio/l16', sampleRate: 16000 };

describe('media streams to a WebSocket receiver', () => {
  let p: PlatformUnderTest;
  let ca: TestCertificateAuthority;
  let strangerCa: TestCertificateAuthority;
  let receiver: StreamReceiver;
  let tlsReceiver: StreamReceiver;
  let untrustedReceiver: StreamReceiver;
  const parties = callParties(() => p);
  const { connectedCall } = parties;
  const calls = phoneCalls(() => p, parties);

  beforeAll(async () => {
    ca = makeCertificateAuthority('stream-e2e-ca');
    strangerCa = makeCertificateAuthority('nobody-trusts-this-ca');
    receiver = await StreamReceiver.open();
    tlsReceiver = await StreamReceiver.open({ tls: ca.issue('localhost') });
    untrustedReceiver = await StreamReceiver.open({ tls: strangerCa.issue('localhost') });
    p = await startPlatform({}, { streamGateway: { env: { STREAM_CA_FILE: ca.caFile } } });
  }, 90_000);
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await p?.close();
    for (const r of [receiver, tlsReceiver, untrustedReceiver]) await r?.close();
    ca?.remove();
    strangerCa?.remove();
  });

  const started = (streamId: string) =>
    p.event('streamStarted', (e) => e.event.streamStarted.streamId === streamId);
  const stopped = (streamId: string) =>
    p.event('streamStopped', (e) => e.event.streamStopped.streamId === streamId);
  const failed = (streamId: string) =>
    p.event('streamFailed', (e) => e.event.streamFailed.streamId === streamId);
  const legUris = async (legId: string) => {
    const initiated = await p.event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    return { from: initiated.event.legInitiated.fromUri, to: initiated.event.legInitiated.toUri };
  };
  /** Lets `seconds` of frames arrive. */
  const frames = (seconds: number) => sleep(seconds * 1000);

  it('several streams on one call: PCMU per participant (every start field, the Authorization header, each tone on its own channel), L16 16 kHz and a mixed track; StopStream closes one with stopped-by-api', async () => {
    const call = await connectedCall('str-several');
    const pcmu = await p.api.startStream(
      streamRequest(call.callId, receiver.url('/pcmu?tenant=e2e'), {
        customParameters: { agent: 'a-17', campaign: 'spring' },
        authorization: 'Bearer e2e-token',
      }),
    );
    const l16 = await p.api.startStream(
      streamRequest(call.callId, receiver.url('/l16'), {
        encoding: ENCODING.STREAM_ENCODING_L16,
        sampleRate: 16000,
      }),
    );
    const mixed = await p.api.startStream(
      streamRequest(call.callId, receiver.url('/mixed'), { tracks: TRACKS.STREAM_TRACKS_MIXED }),
    );
    const ids = [pcmu.streamId, l16.streamId, mixed.streamId];
    for (const id of ids) expect(id).toMatch(/^str-[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(3);
    const requested = await p.event(
      'streamRequested',
      (e) => e.event.streamRequested.streamId === pcmu.streamId,
    );
    expect(requested.event.streamRequested).toMatchObject({
      callId: call.callId,
      legIds: [call.callerLeg, call.calleeLeg],
      tracks: TRACKS.STREAM_TRACKS_PER_PARTICIPANT,
      encoding: ENCODING.STREAM_ENCODING_PCMU,
    });
    // The token never reaches the log.
    expect(JSON.stringify(p.eventsOf(call.callId))).not.toContain('e2e-token');
    for (const id of ids) await started(id);
    await frames(3);

    // connect, then start with every field, on the PCMU stream; the upgrade carried the Authorization.
    const pcmuConnection = await receiver.connection(pcmu.streamId);
    expect(pcmuConnection.headers.authorization).toBe('Bearer e2e-token');
    const [connect, start] = receiver.messagesOf(pcmu.streamId);
    expect(connect).toMatchObject({ event: 'connect', sequenceNumber: 1, streamId: pcmu.streamId });
    expect(start).toMatchObject({ event: 'start', sequenceNumber: 2, streamId: pcmu.streamId });
    const callerUris = await legUris(call.callerLeg);
    const calleeUris = await legUris(call.calleeLeg);
    expect(bodyOf<StartBody>(start!)).toEqual({
      callId: call.callId,
      legIds: [call.callerLeg, call.calleeLeg],
      participants: [
        { channel: call.callerLeg, legId: call.callerLeg, role: 'caller', ...callerUris, held: false },
        { channel: call.calleeLeg, legId: call.calleeLeg, role: 'callee', ...calleeUris, held: false },
      ],
      tracks: 'per-participant',
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      bidirectional: false,
      customParameters: { agent: 'a-17', campaign: 'spring' },
      context: expect.any(Object),
      reconnects: 0,
    });

    // Each channel carries its party's tone and not the other's, in 160-byte frames on a gapless timeline.
    for (const [channel, own, other] of [
      [call.callerLeg, CALLER_HZ, CALLEE_HZ],
      [call.calleeLeg, CALLEE_HZ, CALLER_HZ],
    ] as const) {
      const media = receiver.media(pcmu.streamId, channel);
      expect(media.length).toBeGreaterThanOrEqual(100);
      expect(payloadSizes(media)).toEqual(new Set([160]));
      expect(timelineProblems(media, senderStalled)).toEqual([]);
      expect(channelTone(receiver, pcmu.streamId, channel, PCMU, own)).toBeGreaterThan(TONE_DETECTED);
      expect(channelTone(receiver, pcmu.streamId, channel, PCMU, other)).toBeLessThan(TONE_ABSENT);
    }
    // The frames keep pace with the clock: 50 a second per channel (±10 %) over the last 2 s.
    const now = Date.now();
    const lastTwoSeconds = receiver
      .messagesOf(pcmu.streamId)
      .filter((m) => m.event === 'media' && m.receivedAt >= now - 2000 && m.receivedAt < now);
    for (const leg of [call.callerLeg, call.calleeLeg]) {
      const count = lastTwoSeconds.filter((m) => bodyOf<{ channel: string }>(m).channel === leg).length;
      expect(Math.abs(count - 100)).toBeLessThanOrEqual(10);
    }

    // L16 at 16 kHz: 640-byte frames, the tones per channel.
    const l16Start = bodyOf<StartBody>(await receiver.message(l16.streamId, 'start'));
    expect(l16Start.mediaFormat).toEqual({ encoding: 'audio/l16', sampleRate: 16000, channels: 1 });
    for (const [channel, own, other] of [
      [call.callerLeg, CALLER_HZ, CALLEE_HZ],
      [call.calleeLeg, CALLEE_HZ, CALLER_HZ],
    ] as const) {
      const media = receiver.media(l16.streamId, channel);
      expect(payloadSizes(media)).toEqual(new Set([640]));
      expect(timelineProblems(media, senderStalled)).toEqual([]);
      expect(channelTone(receiver, l16.streamId, channel, L16_16K, own)).toBeGreaterThan(TONE_DETECTED);
      expect(channelTone(receiver, l16.streamId, channel, L16_16K, other)).toBeLessThan(TONE_ABSENT);
    }

    // Mixed: one channel "mixed" holding both tones.
    const mixedStart = bodyOf<StartBody>(await receiver.message(mixed.streamId, 'start'));
    expect(mixedStart.tracks).toBe('mixed');
    const mixedChannels = new Set(
      receiver
        .messagesOf(mixed.streamId)
        .filter((m) => m.event === 'media')
        .map((m) => bodyOf<{ channel: string }>(m).channel),
    );
    expect(mixedChannels).toEqual(new Set(['mixed']));
    const mixedMedia = receiver.media(mixed.streamId, 'mixed');
    expect(payloadSizes(mixedMedia)).toEqual(new Set([160]));
    expect(timelineProblems(mixedMedia, senderStalled)).toEqual([]);
    for (const hz of [CALLER_HZ, CALLEE_HZ])
      expect(channelTone(receiver, mixed.streamId, 'mixed', PCMU, hz)).toBeGreaterThan(TONE_PRESENT);

    // StopStream ends one stream: close "stopped-by-api", a close frame 1000, StreamStopped REQUESTED.
    await p.api.stopStream({ callId: call.callId, streamId: l16.streamId });
    const l16Stopped = await stopped(l16.streamId);
    expect(l16Stopped.event.streamStopped).toMatchObject({ reason: STOP.STREAM_STOP_REASON_REQUESTED });
    expect(l16Stopped.event.streamStopped.framesSent).toBeGreaterThan(0);
    const l16Messages = receiver.messagesOf(l16.streamId);
    expect(l16Messages.at(-1)?.event).toBe('close');
    expect(closeReason(l16Messages.at(-1)!)).toBe('stopped-by-api');
    const l16Connection = await receiver.connection(l16.streamId);
    await waitFor('the l16 socket closed', () => l16Connection.closed, 5000);
    expect(l16Connection.closed?.code).toBe(1000);
    // A second StopStream of an ended stream is OK.
    await p.api.stopStream({ callId: call.callId, streamId: l16.streamId });

    // The others go on.
    const before = receiver.media(pcmu.streamId, call.callerLeg).length;
    await frames(1);
    expect(receiver.media(pcmu.streamId, call.callerLeg).length).toBeGreaterThan(before + 30);

    // The call's end closes the rest with call-ended.
    await p.api.hangup({ callId: call.callId, legId: '' });
    for (const id of [pcmu.streamId, mixed.streamId]) {
      const end = await stopped(id);
      expect(end.event.streamStopped.reason).toBe(STOP.STREAM_STOP_REASON_CALL_ENDED);
      expect(closeReason(receiver.messagesOf(id).at(-1)!)).toBe('call-ended');
    }
    for (const id of ids) expect(sequenceProblems(receiver.messagesOf(id))).toEqual([]);
    expect(receiver.problems()).toEqual([]);
  });

  it("the caller's DTMF as dtmf messages on its channel, a transfer as a metadata message with the new roster and the target's channel, the hang-up as close call-ended with StreamStopped counting every frame", async () => {
    // TransferLeg BRIDGE re-INVITEs the transferee (the caller): its phone follows re-INVITEs.
    const call = await connectedCall('str-events', undefined, {
      caller: { scenario: 'uac-answered-follows-reinvites-expect-bye.xml' },
    });
    const { streamId } = await p.api.startStream(streamRequest(call.callId, receiver.url('/events')));
    await started(streamId);
    await receiver.message(streamId, 'start');

    await (call.callerRtp as RtpEndpoint).sendDigit('5');
    await (call.callerRtp as RtpEndpoint).sendDigit('#');
    await p.event(
      'dtmfReceived',
      (e) => e.event.dtmfReceived.legId === call.callerLeg && e.event.dtmfReceived.digit === '#',
    );
    const digits = await waitFor(
      'two dtmf messages',
      () => {
        const seen = receiver.messagesOf(streamId).filter((m) => m.event === 'dtmf');
        return seen.length >= 2 && seen;
      },
      5000,
    );
    expect(digits.map((m) => bodyOf(m))).toEqual([
      { channel: call.callerLeg, legId: call.callerLeg, digit: '5', durationMs: expect.any(Number) },
      { channel: call.callerLeg, legId: call.callerLeg, digit: '#', durationMs: expect.any(Number) },
    ]);
    for (const m of digits) expect(bodyOf<{ durationMs: number }>(m).durationMs).toBeGreaterThan(0);

    // TransferLeg BRIDGE moves the caller to a target: the callee leaves, the target joins the roster.
    // The target follows whatever SDP it is given and sends its tone there (a new media session).
    const target = await calls.party('str-target', TARGET_HZ);
    const transfer = await p.api.transferLeg({
      callId: call.callId,
      legId: call.callerLeg,
      target: `sip:target@127.0.0.1:${target.sipp.port}`,
      mode: callEvents.TransferMode.TRANSFER_MODE_BRIDGE,
      fromUri: '',
      timeoutMs: 10_000,
      releaseOnFailure: false,
      idempotencyKey: `transfer-${call.callId}`,
    });
    await p.event('transferCompleted', (e) => e.event.transferCompleted.transferId === transfer.transferId);
    const rosterOf = (m: StreamMessage) =>
      (bodyOf<{ participants?: { legId: string }[] }>(m).participants ?? []).map((x) => x.legId).sort();
    const newRoster = [call.callerLeg, transfer.targetLegId].sort();
    const metadata = await receiver.message(
      streamId,
      'metadata',
      (m) => JSON.stringify(rosterOf(m)) === JSON.stringify(newRoster),
    );
    const reasons = receiver
      .messagesOf(streamId)
      .filter((m) => m.event === 'metadata')
      .map((m) => bodyOf<{ reason: string }>(m).reason);
    expect(reasons).toContain('transfer');
    const targetParticipant = bodyOf<StartBody>(metadata).participants.find(
      (x) => x.legId === transfer.targetLegId,
    );
    expect(targetParticipant).toMatchObject({
      channel: transfer.targetLegId,
      role: 'callee',
      to: expect.stringContaining(`sip:target@127.0.0.1:${target.sipp.port}`),
      held: false,
    });
    // The target's own channel carries its tone.
    await waitFor(
      "the target's tone on its channel",
      () => channelTone(receiver, streamId, transfer.targetLegId, PCMU, TARGET_HZ, 25) > TONE_DETECTED,
      10_000,
    ).catch((error: unknown) => {
      const frames = receiver.media(streamId, transfer.targetLegId).length;
      const ratio = channelTone(receiver, streamId, transfer.targetLegId, PCMU, TARGET_HZ, 25);
      throw new Error(
        `${String(error)}: ${frames} frames on the target's channel, ${TARGET_HZ} Hz ${ratio.toFixed(2)}; ` +
          `the target's endpoint received ${target.rtp.packetsReceived} packets, told ${target.logged('remote').join(' | ')}`,
      );
    });

    await p.api.hangup({ callId: call.callId, legId: '' });
    const end = await stopped(streamId);
    expect(end.event.streamStopped).toMatchObject({
      reason: STOP.STREAM_STOP_REASON_CALL_ENDED,
      framesDropped: 0,
      reconnects: 0,
    });
    const messages = receiver.messagesOf(streamId);
    const mediaCount = messages.filter((m) => m.event === 'media').length;
    expect(end.event.streamStopped.framesSent).toBeGreaterThan(0);
    expect(end.event.streamStopped.framesSent).toBe(mediaCount);
    expect(messages.at(-1)?.event).toBe('close');
    expect(closeReason(messages.at(-1)!)).toBe('call-ended');
    const connection = await receiver.connection(streamId);
    await waitFor('the socket closed', () => connection.closed, 5000);
    expect(connection.closed?.code).toBe(1000);
    expect(sequenceProblems(messages)).toEqual([]);
    expect(receiver.problems()).toEqual([]);
  });

  it('PauseStream stops the media (not counted as dropped) without closing the socket, ResumeStream sends it again; the same idempotency key answers the same stream', async () => {
    const call = await connectedCall('str-pause');
    const request = streamRequest(call.callId, receiver.url('/pause'), {
      idempotencyKey: `pause-${call.callId}`,
    });
    const { streamId } = await p.api.startStream(request);
    expect((await p.api.startStream(request)).streamId).toBe(streamId);
    await started(streamId);
    await frames(1);
    await p.api.pauseStream({ callId: call.callId, streamId });
    await p.event('streamPaused', (e) => e.event.streamPaused.streamId === streamId);
    // Pausing again is OK.
    await p.api.pauseStream({ callId: call.callId, streamId });
    await frames(0.2);
    const mediaCount = () => receiver.messagesOf(streamId).filter((m) => m.event === 'media').length;
    const whilePaused = mediaCount();
    await frames(1.5);
    expect(mediaCount()).toBe(whilePaused);
    const connection = await receiver.connection(streamId);
    expect(connection.closed).toBeUndefined();

    await p.api.resumeStream({ callId: call.callId, streamId });
    await p.event('streamResumed', (e) => e.event.streamResumed.streamId === streamId);
    await frames(1);
    expect(mediaCount()).toBeGreaterThan(whilePaused + 60);
    expect(channelTone(receiver, streamId, call.callerLeg, PCMU, CALLER_HZ, 25)).toBeGreaterThan(
      TONE_DETECTED,
    );
    expect(p.eventsOf(call.callId).filter((e) => e.event?.$case === 'streamRequested')).toHaveLength(1);

    await p.api.stopStream({ callId: call.callId, streamId });
    const end = (await stopped(streamId)).event.streamStopped;
    expect(end).toMatchObject({ reason: STOP.STREAM_STOP_REASON_REQUESTED, framesDropped: 0 });
    expect(end.framesSent).toBe(mediaCount());
    expect(sequenceProblems(receiver.messagesOf(streamId))).toEqual([]);
    // A stream that ended cannot be paused.
    await expect(p.api.pauseStream({ callId: call.callId, streamId })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('HoldLeg and ResumeLeg reach the stream as metadata messages (hold, resume) with the held party marked', async () => {
    // The caller is re-INVITEd (a=inactive, then a=sendrecv) and follows; the callee follows its peer's.
    const call = await connectedCall('str-hold', undefined, {
      caller: { scenario: 'uac-answered-follows-reinvites-expect-bye.xml' },
      callee: { scenario: 'hold-uas.xml' },
    });
    const { streamId } = await p.api.startStream(streamRequest(call.callId, receiver.url('/hold')));
    await started(streamId);
    await receiver.message(streamId, 'start');
    const heldOf = (m: StreamMessage) =>
      Object.fromEntries(bodyOf<StartBody>(m).participants.map((x) => [x.legId, x.held]));
    const reasonIs = (reason: string) => (m: StreamMessage) =>
      bodyOf<{ reason: string }>(m).reason === reason;

    await p.api.holdLeg({
      callId: call.callId,
      legId: call.callerLeg,
      musicToPeer: false,
      idempotencyKey: `hold-${call.callId}`,
    });
    await p.event('legHeld', (e) => e.event.legHeld.legId === call.callerLeg);
    const held = await receiver.message(streamId, 'metadata', reasonIs('hold'));
    expect(heldOf(held)).toEqual({ [call.callerLeg]: true, [call.calleeLeg]: false });

    await p.api.resumeLeg({ callId: call.callId, legId: call.callerLeg });
    await p.event('legResumed', (e) => e.event.legResumed.legId === call.callerLeg);
    const resumed = await receiver.message(streamId, 'metadata', reasonIs('resume'));
    expect(heldOf(resumed)).toEqual({ [call.callerLeg]: false, [call.calleeLeg]: false });
    expect(resumed.sequenceNumber).toBeGreaterThan(held.sequenceNumber);
    expect(sequenceProblems(receiver.messagesOf(streamId))).toEqual([]);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('wss:// to an endpoint with a certificate of the configured CA streams; one nobody trusts fails naming TLS and leaves the call as it was', async () => {
    const call = await connectedCall('str-tls');
    const secure = await p.api.startStream(streamRequest(call.callId, tlsReceiver.url('/tls')));
    await started(secure.streamId);
    await frames(1.5);
    expect(tlsReceiver.messagesOf(secure.streamId)[0]?.event).toBe('connect');
    expect(channelTone(tlsReceiver, secure.streamId, call.callerLeg, PCMU, CALLER_HZ, 25)).toBeGreaterThan(
      TONE_DETECTED,
    );
    expect(channelTone(tlsReceiver, secure.streamId, call.calleeLeg, PCMU, CALLEE_HZ, 25)).toBeGreaterThan(
      TONE_DETECTED,
    );

    const refused = await p.api.startStream(streamRequest(call.callId, untrustedReceiver.url('/untrusted')));
    const failure = await failed(refused.streamId);
    expect(failure.event.streamFailed.reason).toMatch(/TLS|certificate/i);
    expect(untrustedReceiver.connections).toHaveLength(0);
    expect(
      p
        .eventsOf(call.callId)
        .some(
          (e) => e.event?.$case === 'streamStarted' && e.event.streamStarted.streamId === refused.streamId,
        ),
    ).toBe(false);
    // The call is untouched: both parties still hear each other, the first stream goes on.
    await hearEachOther(call);
    const { call: now } = await p.api.getCall({ callId: call.callId });
    expect(now?.ended).toBe(false);
    expect(now?.legs.filter((leg) => leg.state === callControl.LegState.LEG_STATE_ANSWERED)).toHaveLength(2);
    await p.api.stopStream({ callId: call.callId, streamId: secure.streamId });
    expect((await stopped(secure.streamId)).event.streamStopped.reason).toBe(
      STOP.STREAM_STOP_REASON_REQUESTED,
    );
    expect(sequenceProblems(tlsReceiver.messagesOf(secure.streamId))).toEqual([]);
    expect(tlsReceiver.problems()).toEqual([]);
  });

  it('bad input: an ftp:// URL is INVALID_ARGUMENT with nothing recorded, a ws:// port nobody listens on fails with the reason and leaves the call as it was, an unknown call is NOT_FOUND', async () => {
    const call = await connectedCall('str-bad');
    const before = p.eventsOf(call.callId).length;
    await expect(
      p.api.startStream(streamRequest(call.callId, 'ftp://127.0.0.1/stream')),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(p.api.startStream(streamRequest(call.callId, 'not a url'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      p.api.startStream(
        streamRequest(call.callId, receiver.url('/bad'), {
          encoding: ENCODING.STREAM_ENCODING_PCMU,
          sampleRate: 16000,
        }),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await sleep(300);
    expect(
      p
        .eventsOf(call.callId)
        .slice(before)
        .map((e) => e.event?.$case),
    ).not.toContain('streamRequested');

    const closedPort = await freePort();
    const unreachable = await p.api.startStream(
      streamRequest(call.callId, `ws://127.0.0.1:${closedPort}/nobody`),
    );
    const failure = await failed(unreachable.streamId);
    expect(failure.event.streamFailed.reason).toMatch(/ECONNREFUSED|refused|connect/i);
    await hearEachOther(call);

    await expect(
      p.api.startStream(streamRequest('call-that-never-was', receiver.url('/nobody'))),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      p.api.stopStream({ callId: call.callId, streamId: 'str-00000000000000000000000000000000' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
