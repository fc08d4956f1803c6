// The stream gateway against real peers: a media-worker over rtpengine forks a loopback call's two parties
// (700 Hz caller, 1300 Hz callee) into the gateway's sockets through the gateway's own StartFork calls, and
// a `ws` server in the test (plain and TLS) receives the stream and checks every message and field.
import { status } from '@grpc/grpc-js';
import { callEvents, type streamGateway } from '@callctl/proto';
import { makeCertificateAuthority, toneRatio, waitFor, type ConnectedCall } from '@callctl/testing';
import { startGatewayFixture, type Gateway, type GatewayFixture } from './support/gateway-fixture.js';
import {
  mediaOf,
  receivedAt,
  samplesOf,
  startWsReceiver,
  type StreamMessage,
  type WsReceiver,
} from './support/ws-receiver.js';

jest.setTimeout(90_000);

let ids = 0;
const streamId = () => `str-${process.pid.toString(16)}${(++ids).toString(16).padStart(24, '0')}`;

function participants(call: ConnectedCall): streamGateway.StreamParticipant[] {
  return [
    {
      legId: 'leg-caller',
      role: 'caller',
      fromUri: 'sip:alice@example.com',
      toUri: 'sip:bob@example.com',
      media: { sessionId: call.sessionId, tag: 'caller' },
      held: false,
    },
    {
      legId: 'leg-callee',
      role: 'callee',
      fromUri: 'sip:alice@example.com',
      toUri: 'sip:bob@example.com',
      media: { sessionId: call.sessionId, tag: 'callee' },
      held: false,
    },
  ];
}

function openRequest(
  id: string,
  call: ConnectedCall,
  url: string,
  extra: Partial<streamGateway.OpenStreamRequest> = {},
): streamGateway.OpenStreamRequest {
  return {
    streamId: id,
    callId: call.callId,
    url,
    authorization: 'Bearer test-token',
    tracks: callEvents.StreamTracks.STREAM_TRACKS_PER_PARTICIPANT,
    encoding: callEvents.StreamEncoding.STREAM_ENCODING_PCMU,
    sampleRate: 8000,
    bidirectional: false,
    customParameters: { tenant: 'acme' },
    participants: participants(call),
    context: { from: 'sip:alice@example.com', to: 'sip:bob@example.com' },
    ...extra,
  };
}

function expectContiguousSequence(messages: readonly StreamMessage[]): void {
  expect(messages.map((m) => m.sequenceNumber)).toEqual(messages.map((_, i) => i + 1));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stream gateway', () => {
  let fixture: GatewayFixture;
  let gateway: Gateway;
  let receiver: WsReceiver;
  let call: ConnectedCall;

  beforeAll(async () => {
    fixture = await startGatewayFixture();
    gateway = await fixture.start();
    receiver = await startWsReceiver();
    call = await fixture.stack.connectedCall();
    call.caller.startTone(700);
    call.callee.startTone(1300);
  });
  afterAll(async () => {
    call?.caller.stopTone();
    call?.callee.stopTone();
    await receiver?.close();
    await fixture?.stop();
  });

  it('streams each party on its own channel (PCMU passthrough), dtmf, metadata, then close with the reason', async () => {
    const id = streamId();
    await gateway.call('openStream', openRequest(id, call, receiver.url));
    // Idempotent: the same stream again changes nothing.
    await gateway.call('openStream', openRequest(id, call, receiver.url));
    const connected = await fixture.waitForFact(id, 'streamConnected');
    expect(connected.fact).toEqual({ $case: 'streamConnected', streamConnected: { reconnects: 0 } });
    expect(connected.sourceSequence).toBe(1);
    const connection = receiver.connections.at(-1)!;
    expect(connection.request.headers.authorization).toBe('Bearer test-token');
    await waitFor(
      '2 s of both channels',
      () => mediaOf(connection.messages, 'leg-callee').length >= 100,
      10_000,
    );
    await gateway.call('sendStreamDtmf', { streamId: id, legId: 'leg-caller', digit: '5', durationMs: 160 });
    const held = participants(call).map((p) => (p.legId === 'leg-callee' ? { ...p, held: true } : p));
    await gateway.call('updateStream', {
      streamId: id,
      participants: held,
      reason: 'hold',
      context: { transfer: 'no' },
    });
    await sleep(200);
    await gateway.call('closeStream', {
      streamId: id,
      reason: callEvents.StreamStopReason.STREAM_STOP_REASON_CALL_ENDED,
    });
    await waitFor('the close frame', () => connection.closed, 5000);
    expect(connection.closed!.code).toBe(1000);

    const messages = connection.messages;
    expectContiguousSequence(messages);
    expect(messages[0]).toEqual({
      event: 'connect',
      sequenceNumber: 1,
      streamId: id,
      protocol: 'callctl.stream',
      version: '1',
    });
    expect(messages[1]).toEqual({
      event: 'start',
      sequenceNumber: 2,
      streamId: id,
      start: {
        callId: call.callId,
        legIds: ['leg-caller', 'leg-callee'],
        participants: [
          {
            channel: 'leg-caller',
            legId: 'leg-caller',
            role: 'caller',
            from: 'sip:alice@example.com',
            to: 'sip:bob@example.com',
            held: false,
          },
          {
            channel: 'leg-callee',
            legId: 'leg-callee',
            role: 'callee',
            from: 'sip:alice@example.com',
            to: 'sip:bob@example.com',
            held: false,
          },
        ],
        tracks: 'per-participant',
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        bidirectional: false,
        customParameters: { tenant: 'acme' },
        context: { from: 'sip:alice@example.com', to: 'sip:bob@example.com' },
        reconnects: 0,
      },
    });
    expect(messages.find((m) => m.event === 'dtmf')).toMatchObject({
      streamId: id,
      dtmf: { channel: 'leg-caller', legId: 'leg-caller', digit: '5', durationMs: 160 },
    });
    expect(messages.find((m) => m.event === 'metadata')).toMatchObject({
      metadata: {
        reason: 'hold',
        participants: [
          { legId: 'leg-caller', held: false },
          { legId: 'leg-callee', held: true },
        ],
        context: { from: 'sip:alice@example.com', transfer: 'no' },
      },
    });
    expect(messages.at(-1)).toEqual({
      event: 'close',
      sequenceNumber: messages.length,
      streamId: id,
      close: { reason: 'call-ended' },
    });

    for (const [channel, tone, other] of [
      ['leg-caller', 700, 1300],
      ['leg-callee', 1300, 700],
    ] as const) {
      const frames = mediaOf(messages, channel);
      expect(frames.length).toBeGreaterThanOrEqual(100);
      // chunk counts the channel's frames; 20 ms apart while the party sends.
      expect(frames.map((f) => f.media.chunk)).toEqual(frames.map((_, i) => i + 1));
      const steps = frames.slice(1).map((f, i) => f.media.timestamp - frames[i]!.media.timestamp);
      expect(steps.every((s) => s === 20)).toBe(true);
      expect(frames.every((f) => Buffer.from(f.media.payload, 'base64').length === 160)).toBe(true);
      const samples = samplesOf(frames.slice(10), 'PCMU');
      expect(toneRatio(samples, tone)).toBeGreaterThan(0.8);
      expect(toneRatio(samples, other)).toBeLessThan(0.05);
    }
    const closed = await fixture.waitForFact(id, 'streamClosed');
    expect(closed.fact).toMatchObject({
      $case: 'streamClosed',
      streamClosed: {
        reason: callEvents.StreamStopReason.STREAM_STOP_REASON_CALL_ENDED,
        detail: 'call-ended',
        framesDropped: 0,
        reconnects: 0,
      },
    });
    const sent = closed.fact?.$case === 'streamClosed' ? closed.fact.streamClosed.framesSent : 0;
    expect(sent).toBe(messages.filter((m) => m.event === 'media').length);
    // Ended: CloseStream again is OK, HoldsStream false, UpdateStream NOT_FOUND.
    await gateway.call('closeStream', {
      streamId: id,
      reason: callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED,
    });
    expect(await gateway.call('holdsStream', { streamId: id })).toEqual({ held: false });
    await expect(
      gateway.call('updateStream', { streamId: id, participants: [], reason: 'x', context: {} }),
    ).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("delivers a party's audio to the endpoint within 40 ms of sending it (through rtpengine, the fork, the gateway)", async () => {
    const id = streamId();
    await gateway.call('openStream', openRequest(id, call, receiver.url));
    await fixture.waitForFact(id, 'streamConnected');
    const connection = receiver.connections.at(-1)!;
    await waitFor('media', () => mediaOf(connection.messages, 'leg-caller').length > 10, 5000);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const frequency = i % 2 === 0 ? 1000 : 700;
      const seen = connection.messages.length;
      call.caller.changeTone(frequency);
      await waitFor('the tone change sent', () => call.caller.toneChangeSentAt, 1000, 5);
      const first = await waitFor(
        `the first ${frequency} Hz frame`,
        () =>
          mediaOf(connection.messages.slice(seen), 'leg-caller').find(
            (frame) => toneRatio(samplesOf([frame], 'PCMU'), frequency) > 0.5,
          ),
        2000,
        5,
      );
      latencies.push(receivedAt.get(first)! - call.caller.toneChangeSentAt!);
      await sleep(100);
    }
    call.caller.changeTone(700);
    await gateway.call('closeStream', {
      streamId: id,
      reason: callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED,
    });
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const max = latencies.at(-1)!;
    console.log(
      `party → rtpengine → fork → gateway → WebSocket: p50 ${p50} ms, max ${max} ms of ${latencies.length}`,
    );
    expect(p50).toBeLessThanOrEqual(40);
  });

  it('streams the mix in L16 16 kHz: both tones in the one channel, 640-byte frames', async () => {
    const id = streamId();
    await gateway.call(
      'openStream',
      openRequest(id, call, receiver.url, {
        tracks: callEvents.StreamTracks.STREAM_TRACKS_MIXED,
        encoding: callEvents.StreamEncoding.STREAM_ENCODING_L16,
        sampleRate: 16000,
      }),
    );
    await fixture.waitForFact(id, 'streamConnected');
    const connection = receiver.connections.at(-1)!;
    await waitFor('1 s of the mix', () => mediaOf(connection.messages, 'mixed').length >= 60, 10_000);
    await gateway.call('closeStream', {
      streamId: id,
      reason: callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED,
    });
    await waitFor('closed', () => connection.closed, 5000);
    const start = connection.messages[1] as unknown as { start: { mediaFormat: unknown; tracks: string } };
    expect(start.start).toMatchObject({
      tracks: 'mixed',
      mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 },
    });
    const frames = mediaOf(connection.messages, 'mixed');
    expect(frames.every((f) => Buffer.from(f.media.payload, 'base64').length === 640)).toBe(true);
    // Goertzel at 16 kHz: f Hz there is f / 2 at the helper's 8 kHz.
    const samples = samplesOf(frames.slice(10), 'L16');
    expect(toneRatio(samples, 350)).toBeGreaterThan(0.2);
    expect(toneRatio(samples, 650)).toBeGreaterThan(0.2);
    expect(connection.messages.at(-1)).toMatchObject({ event: 'close', close: { reason: 'stopped-by-api' } });
    expectContiguousSequence(connection.messages);
  });

  it('reconnects after a break (connect and start again, the sequence going on), then gives up when the endpoint is gone', async () => {
    const local = await startWsReceiver();
    const id = streamId();
    await gateway.call('openStream', openRequest(id, call, local.url));
    await fixture.waitForFact(id, 'streamConnected');
    await waitFor('media', () => mediaOf(local.all(), 'leg-caller').length > 10, 5000);
    // A break: the TCP connection goes without a close frame.
    (local.connections[0]!.socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
    const lost = await fixture.waitForFact(id, 'streamConnectionLost');
    expect(lost.fact).toMatchObject({ streamConnectionLost: { attempt: 1 } });
    await waitFor(
      'a second connection',
      () => local.connections[1]?.messages.some((m) => m.event === 'start'),
      5000,
    );
    await waitFor('StreamConnected again', () =>
      fixture.facts.some(
        (f) =>
          f.streamId === id && f.fact?.$case === 'streamConnected' && f.fact.streamConnected.reconnects === 1,
      ),
    );
    const again = local.connections[1]!.messages;
    expect(again[0]).toMatchObject({ event: 'connect' });
    expect(again[1]).toMatchObject({ event: 'start', start: { reconnects: 1 } });
    const before = local.connections[0]!.messages.at(-1)!.sequenceNumber;
    expect(again[0]!.sequenceNumber).toBeGreaterThan(before);
    // Gone for good: attempts within the window (3 s), then StreamClosed(ENDPOINT_GONE).
    await local.close();
    const closed = await fixture.waitForFact(id, 'streamClosed', 10_000);
    expect(closed.fact).toMatchObject({
      streamClosed: { reason: callEvents.StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE, reconnects: 1 },
    });
    const attempts = fixture.facts.filter(
      (f) => f.streamId === id && f.fact?.$case === 'streamConnectionLost',
    );
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(
      attempts
        .slice(1)
        .map((f) => (f.fact as { streamConnectionLost: { attempt: number } }).streamConnectionLost.attempt),
    ).toEqual(attempts.slice(1).map((_, i) => i + 1));
    const sequences = fixture.facts.filter((f) => f.streamId === id).map((f) => f.sourceSequence);
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  });

  it('ends the stream without reconnecting when the endpoint closes it', async () => {
    const local = await startWsReceiver();
    const id = streamId();
    await gateway.call('openStream', openRequest(id, call, local.url));
    await fixture.waitForFact(id, 'streamConnected');
    local.connections[0]!.socket.close(1000, 'bye');
    const closed = await fixture.waitForFact(id, 'streamClosed');
    expect(closed.fact).toMatchObject({
      streamClosed: {
        reason: callEvents.StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE,
        detail: expect.stringContaining('1000 bye'),
      },
    });
    expect(fixture.facts.some((f) => f.streamId === id && f.fact?.$case === 'streamConnectionLost')).toBe(
      false,
    );
    await local.close();
  });

  it('closes a stream as call-ended once its media session is gone and no close came (an orphan)', async () => {
    const idle = await fixture.start({ idleMs: 1000 });
    const local = await startWsReceiver();
    const gone = await fixture.stack.connectedCall();
    gone.caller.startTone(700);
    const id = streamId();
    await idle.call('openStream', openRequest(id, gone, local.url));
    await fixture.waitForFact(id, 'streamConnected');
    // Silent but present (a hold): the stream stays.
    gone.caller.stopTone();
    await sleep(2500);
    expect(fixture.facts.some((f) => f.streamId === id && f.fact?.$case === 'streamClosed')).toBe(false);
    // The call's media goes without anyone telling the gateway.
    await gone.hangUp();
    const closed = await fixture.waitForFact(id, 'streamClosed', 8000);
    expect(closed.fact).toMatchObject({
      streamClosed: { reason: callEvents.StreamStopReason.STREAM_STOP_REASON_CALL_ENDED },
    });
    await local.waitForMessage((m) => m.event === 'close' && JSON.stringify(m).includes('"call-ended"'));
    await local.close();
    await idle.close();
  });

  it('says why a first connection failed: refused upgrade, ECONNREFUSED, untrusted certificate', async () => {
    const refusing = await startWsReceiver();
    refusing.refuseWith = 403;
    const cases: Array<[string, RegExp]> = [[refusing.url, /HTTP 403/]];
    const gone = await startWsReceiver();
    const goneUrl = gone.url;
    await gone.close();
    cases.push([goneUrl, /ECONNREFUSED/]);
    await using ca = makeCertificateAuthority();
    const untrusted = await startWsReceiver(ca.issue('localhost'));
    cases.push([untrusted.url, /TLS/]);
    for (const [url, reason] of cases) {
      const id = streamId();
      await gateway.call('openStream', openRequest(id, call, url));
      const failed = await fixture.waitForFact(id, 'streamOpenFailed');
      expect((failed.fact as { streamOpenFailed: { reason: string } }).streamOpenFailed.reason).toMatch(
        reason,
      );
      expect(await gateway.call('holdsStream', { streamId: id })).toEqual({ held: false });
    }
    await refusing.close();
    await untrusted.close();
  });

  it('refuses bad URLs, a gone media session and more than STREAM_MAX_STREAMS', async () => {
    await expect(
      gateway.call('openStream', openRequest(streamId(), call, 'ftp://example.com/x')),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('wss://'),
    });
    const gone = { ...openRequest(streamId(), call, receiver.url) };
    gone.participants = gone.participants.map((p) => ({
      ...p,
      media: { sessionId: 'session-never-made', tag: 'caller' },
    }));
    await expect(gateway.call('openStream', gone)).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await expect(gateway.call('pauseStream', { streamId: 'str-unknown' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });

    await using ca = makeCertificateAuthority();
    const strict = await fixture.start({ allowInsecure: false, caFile: ca.caFile, maxStreams: 1 });
    await expect(
      strict.call('openStream', openRequest(streamId(), call, receiver.url)),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('STREAM_ALLOW_INSECURE'),
    });
    // TLS verified against STREAM_CA_FILE: the test CA's certificate is trusted.
    const tls = await startWsReceiver(ca.issue('localhost'));
    const id = streamId();
    await strict.call('openStream', openRequest(id, call, tls.url));
    await fixture.waitForFact(id, 'streamConnected');
    await waitFor('media over TLS', () => mediaOf(tls.all(), 'leg-caller').length > 20, 5000);
    expect(toneRatio(samplesOf(mediaOf(tls.all(), 'leg-caller').slice(5), 'PCMU'), 700)).toBeGreaterThan(0.8);
    await expect(strict.call('openStream', openRequest(streamId(), call, tls.url))).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    await strict.close();
    await tls.close();
  });
});
