// StartFork / StopFork through gRPC against a real rtpengine: calls of real RTP (PCMU parties, a G.722 and
// an opus caller made with ffmpeg), forked to sockets of the test, each copy decoded with @callctl/rtp and
// its tone found with Goertzel (toneRatio).
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { type media } from '@callctl/proto';
import { payloadDecoderFor, RtpSocket, type RtpPacket } from '@callctl/rtp';
import { CodecEndpoint, encodeFrames, toneRatio, waitFor, type RtpCodecName } from '@callctl/testing';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';
import type { RtpEndpoint } from './support/rtp-endpoint.js';

jest.setTimeout(120_000);
// A copy rtpengine 10.5 transcodes from opus sometimes never comes on a fresh session in the full suite
// (the sink gets nothing for 20 s; three of five fresh-clone CI runs on 2026-12-06, never alone here, and
// starting the fork again on the same session did not bring it). A failed case runs again on a new call,
// with its errors logged, until this is understood (issue #14's note). Twice: once, both tries failed in a
// fresh-clone CI run beside other work (#16's note).
jest.retryTimes(2, { logErrorsBeforeRetry: true });

const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
/** A copy carries its party's tone: above this share of its power (a clean tone is above 0.9). */
const MINE = 0.8;
/** ...and not the other party's: below this share. */
const OTHERS = 0.05;

/** One sink port of the recorder's side: what arrives, by payload type, in arrival order. */
class ForkSink {
  readonly packets: Array<{ payloadType: number; payload: Uint8Array }> = [];
  private constructor(private socket: RtpSocket) {}

  static async open(): Promise<ForkSink> {
    const sink = new ForkSink(undefined as unknown as RtpSocket);
    sink.socket = await RtpSocket.open((packet: RtpPacket) =>
      sink.packets.push({ payloadType: packet.payloadType, payload: Uint8Array.from(packet.payload) }),
    );
    return sink;
  }

  get port(): number {
    return this.socket.address.port;
  }

  /** The last `ms` of audio in `codec` (payload type `payloadType`), decoded, at 8 kHz (toneRatio's rate). */
  recent(codec: string, payloadType: number, ms = 400): number[] {
    const decoder = payloadDecoderFor(codec, 8000);
    const frames = this.packets.filter((p) => p.payloadType === payloadType).slice(-(ms / 20) - 5);
    // A fresh decoder over a few more frames than needed: G.722's predictor settles in the first ones.
    const samples = frames.flatMap((p) => [...decoder.decode(p.payload)]);
    const at8k = decoder.sampleRate === 16000 ? samples.filter((_, i) => i % 2 === 0) : samples;
    return at8k.slice(-(8 * ms));
  }

  /** Packets of `payloadType` so far. */
  count(payloadType?: number): number {
    return this.packets.filter((p) => payloadType === undefined || p.payloadType === payloadType).length;
  }

  close(): Promise<void> {
    return this.socket.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('media-worker forks (real rtpengine, real RTP)', () => {
  let w: WorkerUnderTest;
  let client: media.MediaWorkerClient;
  const sinks: ForkSink[] = [];
  const codecEndpoints: CodecEndpoint[] = [];

  beforeAll(async () => {
    w = await startWorkerUnderTest();
    client = w.client;
  });
  afterAll(async () => {
    await Promise.all([...sinks, ...codecEndpoints].map((s) => s.close()));
    await w?.close();
  });

  const sink = async () => {
    const s = await ForkSink.open();
    sinks.push(s);
    return s;
  };

  const offer = (sessionId: string, sdp: string, transcode: string[] = []) =>
    call<media.OfferRequest, media.OfferResponse>((r, cb) => client.offer(r, cb), {
      sessionId,
      fromTag: 'caller',
      sdp,
      codecs: transcode.length > 0 ? { mask: [], transcode } : undefined,
      detectDtmf: false,
      callId: `call-${sessionId}`,
    });
  const answer = (sessionId: string, sdp: string) =>
    call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client.answer(r, cb), {
      sessionId,
      fromTag: 'caller',
      toTag: 'callee',
      sdp,
      callId: `call-${sessionId}`,
    });
  const startFork = (request: Partial<media.StartForkRequest> & { sessionId: string }) =>
    call<media.StartForkRequest, media.StartForkResponse>((r, cb) => client.startFork(r, cb), {
      forkId: 'rec-1',
      fromTags: ['caller', 'callee'],
      sinkAddress: '127.0.0.1',
      sinkPorts: [],
      wideband: false,
      callId: `call-${request.sessionId}`,
      ...request,
    });
  const stopFork = (sessionId: string, forkId = 'rec-1') =>
    call<media.StopForkRequest, media.StopForkResponse>((r, cb) => client.stopFork(r, cb), {
      sessionId,
      forkId,
    });

  /** A relayed call of two PCMU parties, the caller sending 700 Hz and the callee 1300 Hz. */
  async function pcmuCall(): Promise<{ sessionId: string; caller: RtpEndpoint; callee: RtpEndpoint }> {
    const sessionId = `fork-${randomUUID()}`;
    const caller = await w.endpoint();
    const callee = await w.endpoint();
    callee.useRemote((await offer(sessionId, caller.sdp())).sdp);
    caller.useRemote((await answer(sessionId, callee.sdp())).sdp);
    caller.startTone(CALLER_HZ);
    callee.startTone(CALLEE_HZ);
    await waitFor('media both ways', () => caller.packetsReceived > 10 && callee.packetsReceived > 10);
    return { sessionId, caller, callee };
  }

  /** The parties hear each other: the call's own media is untouched by the fork. */
  function expectLiveCall(caller: RtpEndpoint, callee: RtpEndpoint): void {
    expect(caller.recentToneRatio(CALLEE_HZ)).toBeGreaterThan(MINE);
    expect(callee.recentToneRatio(CALLER_HZ)).toBeGreaterThan(MINE);
  }

  /** Waits until `s` has 400 ms of `party`'s copy, then checks it carries `mine` and not `other`. */
  async function expectTone(s: ForkSink, party: media.ForkedParty, mine: number, other: number) {
    // 20 s: a copy rtpengine transcodes (opus to G.722) once took over 10 s to reach 40 packets on the
    // loaded 2-core CI box. A failure says what did arrive at the sink, by payload type.
    await waitFor(
      `${party.fromTag}'s copy at ${s.port}`,
      () => s.count(party.payloadType) >= 40,
      20_000,
    ).catch((error: unknown) => {
      const seen = [...new Set(s.packets.map((p) => p.payloadType))].map((pt) => `PT ${pt}: ${s.count(pt)}`);
      throw new Error(`${String(error)}; the sink got ${seen.join(', ') || 'nothing'}`);
    });
    const samples = s.recent(party.codec, party.payloadType);
    expect({ tag: party.fromTag, mine: toneRatio(samples, mine) > MINE }).toEqual({
      tag: party.fromTag,
      mine: true,
    });
    expect(toneRatio(samples, other)).toBeLessThan(OTHERS);
  }

  /** No packet reaches `s` for 600 ms. */
  async function expectSilent(...silent: ForkSink[]) {
    await sleep(300); // what was in flight
    const before = silent.map((s) => s.count());
    await sleep(600);
    expect(silent.map((s) => s.count())).toEqual(before);
  }

  it('forks each party to its own port in its codec, replaces the fork on a second start and ends it on stop', async () => {
    const { sessionId, caller, callee } = await pcmuCall();
    const [calleeSink, callerSink] = [await sink(), await sink()];
    // The callee first: the mapping follows the request's order, not the session's.
    const { parties } = await startFork({
      sessionId,
      fromTags: ['callee', 'caller'],
      sinkPorts: [calleeSink.port, callerSink.port],
    });
    const pcmu = { payloadType: 0, codec: 'PCMU', clockRate: 8000, sampleRate: 8000, transcoded: false };
    expect(parties).toEqual([
      { fromTag: 'callee', sinkPort: calleeSink.port, telephoneEventPayloadType: 101, ...pcmu },
      { fromTag: 'caller', sinkPort: callerSink.port, telephoneEventPayloadType: 101, ...pcmu },
    ]);
    await expectTone(calleeSink, parties[0]!, CALLEE_HZ, CALLER_HZ);
    await expectTone(callerSink, parties[1]!, CALLER_HZ, CALLEE_HZ);
    expect([...new Set(callerSink.packets.map((p) => p.payloadType))]).toEqual([0]);
    expectLiveCall(caller, callee);

    // Query still answers, the fork's tag among the session's.
    const queried = await call<media.QueryRequest, media.QueryResponse>((r, cb) => client.query(r, cb), {
      sessionId,
    });
    expect(queried.tags.sort()).toEqual(['callee', 'caller', 'rec-1']);

    // The same fork id again, to new ports: the copies move there and stop at the old ones.
    const [callerSink2, calleeSink2] = [await sink(), await sink()];
    const moved = await startFork({ sessionId, sinkPorts: [callerSink2.port, calleeSink2.port] });
    expect(moved.parties.map((p) => [p.fromTag, p.sinkPort])).toEqual([
      ['caller', callerSink2.port],
      ['callee', calleeSink2.port],
    ]);
    await expectTone(callerSink2, moved.parties[0]!, CALLER_HZ, CALLEE_HZ);
    await expectTone(calleeSink2, moved.parties[1]!, CALLEE_HZ, CALLER_HZ);
    await expectSilent(callerSink, calleeSink);

    await stopFork(sessionId);
    await expectSilent(callerSink2, calleeSink2);
    expectLiveCall(caller, callee);
    // Stopping again, or in a session that is gone, is fine.
    await stopFork(sessionId);
    await stopFork(`no-such-session-${randomUUID()}`);
    // A stopped fork id can be started again.
    const again = await startFork({ sessionId, fromTags: ['caller'], sinkPorts: [callerSink.port] });
    await expectTone(callerSink, again.parties[0]!, CALLER_HZ, CALLEE_HZ);
    await stopFork(sessionId);
  });

  it.each([
    ['the whole session', ''],
    ["the caller's branch, which takes the session with it", 'caller'],
  ])('forks one party only, and Delete of %s ends the fork and the session', async (_what, tag) => {
    const { sessionId } = await pcmuCall();
    const calleeSink = await sink();
    const { parties } = await startFork({ sessionId, fromTags: ['callee'], sinkPorts: [calleeSink.port] });
    expect(parties.map((p) => p.fromTag)).toEqual(['callee']);
    await expectTone(calleeSink, parties[0]!, CALLEE_HZ, CALLER_HZ);
    await call<media.DeleteRequest, media.DeleteResponse>((r, cb) => client.delete(r, cb), {
      sessionId,
      tag,
    });
    await expectSilent(calleeSink);
    // The fork kept no session alive in rtpengine.
    await expect(
      call<media.QueryRequest, media.QueryResponse>((r, cb) => client.query(r, cb), { sessionId }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    await stopFork(sessionId);
  });

  it('carries what each party sends: a prompt played to a party is in no fork', async () => {
    const { sessionId, caller } = await pcmuCall();
    const [callerSink, calleeSink] = [await sink(), await sink()];
    const { parties } = await startFork({ sessionId, sinkPorts: [callerSink.port, calleeSink.port] });
    await expectTone(callerSink, parties[0]!, CALLER_HZ, CALLEE_HZ);
    await call<media.PlayRequest, media.PlayResponse>((r, cb) => client.play(r, cb), {
      sessionId,
      tag: 'caller',
      source: 'tone:2000:3000',
      repeat: 0,
      playbackId: '',
      callId: `call-${sessionId}`,
    });
    // The caller hears it (interleaved with the callee's stream: two SSRCs, see libs/rtp's jitter buffer)...
    await waitFor('the prompt at the caller', () => caller.recentToneRatio(2000) > 0.1, 10_000);
    await sleep(400);
    // ...and neither copy carries it.
    await expectTone(callerSink, parties[0]!, CALLER_HZ, 2000);
    await expectTone(calleeSink, parties[1]!, CALLEE_HZ, 2000);
    await stopFork(sessionId);
  });

  it('refuses bad requests and unknown sessions or parties, naming them, and never touches a party', async () => {
    const { sessionId, caller, callee } = await pcmuCall();
    const [a, b] = [await sink(), await sink()];
    const refusal = (request: Partial<media.StartForkRequest>) =>
      startFork({ sessionId, sinkPorts: [a.port, b.port], ...request }).then(
        () => undefined,
        (error: { code: number; details: string }) => ({ code: error.code, details: error.details }),
      );
    const missing = `gone-${randomUUID()}`;
    expect(await refusal({ sessionId: missing })).toEqual({
      code: status.NOT_FOUND,
      details: expect.stringContaining(missing) as string,
    });
    expect(await refusal({ fromTags: ['caller', 'nobody'] })).toEqual({
      code: status.NOT_FOUND,
      details: expect.stringContaining('nobody') as string,
    });
    for (const bad of [
      { fromTags: [] },
      { sinkPorts: [a.port] },
      { sinkAddress: 'not-an-address' },
      { forkId: '' },
      { fromTags: ['caller', 'caller'] },
      // A party's tag as a fork id would make it a subscriber (its call would go silent).
      { forkId: 'callee', fromTags: ['caller'], sinkPorts: [a.port] },
    ])
      expect({ bad, refused: (await refusal(bad))?.code }).toEqual({ bad, refused: status.INVALID_ARGUMENT });
    expect(await refusal({ forkId: 'caller', fromTags: ['callee'], sinkPorts: [a.port] })).toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    // StopFork of a party's tag is refused: rtpengine would accept it and silence that party.
    await expect(stopFork(sessionId, 'callee')).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(a.count() + b.count()).toBe(0);
    await sleep(500);
    expectLiveCall(caller, callee);
  });

  /**
   * A caller speaking `codec` (frames of a 700 Hz tone made with ffmpeg) and a PCMU callee at 1300 Hz; the
   * caller's offer lets rtpengine transcode to PCMU for the callee.
   */
  async function callFrom(codec: RtpCodecName) {
    const sessionId = `fork-${codec}-${randomUUID()}`;
    const caller = await CodecEndpoint.open(codec);
    codecEndpoints.push(caller);
    const callee = await w.endpoint();
    callee.useRemote((await offer(sessionId, caller.sdp(), ['PCMU'])).sdp);
    caller.useRemote((await answer(sessionId, callee.sdp())).sdp);
    caller.startAudio(await encodeFrames(codec, w.tone(`caller-${codec}.wav`, 2, CALLER_HZ)));
    callee.startTone(CALLEE_HZ);
    await waitFor('media to the callee', () => callee.packetsReceived > 10, 10_000);
    return { sessionId, callee };
  }

  it.each([
    ['G722', false, { codec: 'G722', payloadType: 9, sampleRate: 16000, transcoded: false }],
    ['G722', true, { codec: 'G722', payloadType: 9, sampleRate: 16000, transcoded: false }],
    ['opus', false, { codec: 'PCMU', payloadType: 0, sampleRate: 8000, transcoded: true }],
    ['opus', true, { codec: 'G722', payloadType: 9, sampleRate: 16000, transcoded: true }],
  ] as const)(
    'forks a %s caller (wideband %s) as %j, the PCMU callee as PCMU',
    async (codec, wideband, expected) => {
      const { sessionId, callee } = await callFrom(codec);
      const [callerSink, calleeSink] = [await sink(), await sink()];
      const { parties } = await startFork({
        sessionId,
        wideband,
        sinkPorts: [callerSink.port, calleeSink.port],
      });
      expect(parties[0]).toMatchObject({ fromTag: 'caller', clockRate: 8000, ...expected });
      expect(parties[1]).toMatchObject({
        fromTag: 'callee',
        codec: 'PCMU',
        payloadType: 0,
        sampleRate: 8000,
        transcoded: false,
      });
      await expectTone(callerSink, parties[0]!, CALLER_HZ, CALLEE_HZ);
      await expectTone(calleeSink, parties[1]!, CALLEE_HZ, CALLER_HZ);
      // Every audio packet of each copy is in the codec the response named (telephone-event 0: none).
      const audio = (s: ForkSink, te: number) =>
        new Set(s.packets.map((p) => p.payloadType).filter((pt) => te === 0 || pt !== te));
      expect([...audio(callerSink, parties[0]!.telephoneEventPayloadType)]).toEqual([expected.payloadType]);
      expect([...audio(calleeSink, parties[1]!.telephoneEventPayloadType)]).toEqual([0]);
      expect(callee.recentToneRatio(CALLER_HZ)).toBeGreaterThan(MINE);
      await stopFork(sessionId);
    },
  );
});
