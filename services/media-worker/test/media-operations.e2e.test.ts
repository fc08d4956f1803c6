import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { listSessions } from '../src/adapters/rtpengine/session-commands.js';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';

jest.setTimeout(60_000);

const TONE_DETECTED = 0.5; // share of the received power at the probed frequency

describe('media-worker media operations (real rtpengine, real RTP)', () => {
  let w: WorkerUnderTest;
  let client: media.MediaWorkerClient;
  let dir: string;
  let http: Server;
  let httpPort: number;
  let events: media.MediaEvent[];

  const tone = (name: string, seconds: number, hz: number) => w.tone(name, seconds, hz);
  /** The call a test's session belongs to, as the orchestrator names it in each request. */
  const callIdOf = (sessionId: string) => `call-of-${sessionId}`;
  const endpoint = () => w.endpoint();
  /** A party answered by the worker itself: a new session's caller, or another party of `sessionId`. */
  const answerLocally = async (
    echo = media.MediaEcho.MEDIA_ECHO_OFF,
    sessionId: string = randomUUID(),
    fromTag = 'caller',
  ) => {
    const caller = await endpoint();
    const reply = await call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      (r, cb) => client.answerLocally(r, cb),
      {
        sessionId,
        fromTag,
        sdp: caller.sdp(),
        localTag: '',
        echo,
        codecs: undefined,
        callId: callIdOf(sessionId),
        detectDtmf: false,
      },
    );
    caller.useRemote(reply.sdp);
    return { caller, sessionId };
  };
  const play = (sessionId: string, source: string, repeat = 0) =>
    call<media.PlayRequest, media.PlayResponse>((r, cb) => client.play(r, cb), {
      sessionId,
      tag: 'caller',
      source,
      repeat,
      playbackId: '',
      callId: callIdOf(sessionId),
    });
  const finished = (playbackId: string) =>
    waitFor(
      `PlaybackFinished ${playbackId}`,
      () =>
        events.find(
          (e) => e.fact?.$case === 'playbackFinished' && e.fact.playbackFinished.playbackId === playbackId,
        ),
      20_000,
    );

  beforeAll(async () => {
    w = await startWorkerUnderTest();
    ({ client, dir, watched: events } = w);
    const prompt = tone('served.wav', 1, 1000);
    http = createServer((req, res) => {
      if (req.url === '/prompt.wav')
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(readFileSync(prompt));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    httpPort = (http.address() as { port: number }).port;
  });

  afterAll(async () => {
    await w?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  it('plays a 1000 Hz file to a locally answered caller and reports it completed', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(0);
    const { playbackId, durationMs } = await play(sessionId, tone('tone.wav', 1, 1000));
    expect(durationMs).toBeGreaterThan(900);
    await waitFor('1000 Hz at the caller', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    const event = await finished(playbackId);
    expect(event.sessionId).toBe(sessionId);
    expect(event.fact).toEqual({
      $case: 'playbackFinished',
      playbackFinished: {
        playbackId,
        tag: 'caller',
        reason: media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
      },
    });
  });

  it('StopPlay stops a long prompt and reports it stopped', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(0);
    const { playbackId } = await play(sessionId, tone('long.wav', 30, 1000));
    await waitFor('prompt audible', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    const stopped = await call<media.StopPlayRequest, media.StopPlayResponse>(
      (r, cb) => client.stopPlay(r, cb),
      { sessionId, tag: 'caller' },
    );
    expect(stopped.playbackId).toBe(playbackId);
    const event = await finished(playbackId);
    expect(event.fact?.$case === 'playbackFinished' && event.fact.playbackFinished.reason).toBe(
      media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED,
    );
    // The 30 s prompt would deliver ~50 packets per second; after the stop only those in flight arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    caller.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(caller.packetsReceived).toBeLessThan(10);
  });

  it('plays a prompt from an http URL', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(0);
    const { playbackId } = await play(sessionId, `http://127.0.0.1:${httpPort}/prompt.wav`);
    await waitFor('1000 Hz from URL', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    await finished(playbackId);
  });

  it('plays a generated tone:1000:400 beep and reports it completed; a bad tone is INVALID_ARGUMENT', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(0);
    const cached = () => (existsSync(join(dir, 'cache')) ? readdirSync(join(dir, 'cache')).length : 0);
    const before = cached();
    const { playbackId, durationMs } = await play(sessionId, 'tone:1000:400');
    expect(durationMs).toBeGreaterThanOrEqual(380);
    expect(durationMs).toBeLessThanOrEqual(420);
    await waitFor('1000 Hz beep', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    const event = await finished(playbackId);
    expect(event.fact?.$case === 'playbackFinished' && event.fact.playbackFinished.reason).toBe(
      media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
    );
    // Made once into the media cache, and played from there again.
    const again = await play(sessionId, 'tone:1000:400');
    await finished(again.playbackId);
    expect(cached()).toBe(before + 1);
    for (const bad of ['tone:50:400', 'tone:1000:10000', 'tone:1000'])
      await expect(play(sessionId, bad)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('refuses a prompt URL that answers 404 with NOT_FOUND naming the URL', async () => {
    const { sessionId } = await answerLocally();
    const url = `http://127.0.0.1:${httpPort}/missing.wav`;
    await expect(play(sessionId, url)).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringContaining(url),
    });
  });

  it('reports RFC 4733 digits 1, 2, # as DtmfReceived in order', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(0);
    for (const digit of ['1', '2', '#']) await caller.sendDigit(digit);
    const digits = await waitFor(
      'three digits',
      () => {
        const got = events
          .filter((e) => e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived')
          .map((e) => (e.fact?.$case === 'dtmfReceived' ? e.fact.dtmfReceived : undefined));
        return got.length >= 3 ? got : undefined;
      },
      10_000,
    );
    expect(digits.map((d) => d?.digit)).toEqual(['1', '2', '#']);
    expect(digits.every((d) => d?.tag === 'caller' && d.durationMs > 0)).toBe(true);
  });

  it('echoes the caller to itself when answered locally with echo', async () => {
    const { caller } = await answerLocally(media.MediaEcho.MEDIA_ECHO_TO_OFFERER);
    caller.startTone(440);
    await waitFor('440 Hz echoed', () => caller.recentToneRatio(440, 200) > TONE_DETECTED, 10_000);
  });

  it('does not echo the caller when answered locally without echo', async () => {
    const { caller } = await answerLocally();
    caller.startTone(440);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(caller.packetsReceived).toBe(0);
  });

  it('StartEcho turns echo on for a locally answered caller and StopEcho turns it off', async () => {
    const { caller, sessionId } = await answerLocally();
    caller.startTone(440);
    // No tag: the session's only locally answered party.
    await call<media.StartEchoRequest, media.StartEchoResponse>((r, cb) => client.startEcho(r, cb), {
      sessionId,
      tag: '',
    });
    await waitFor('440 Hz echoed', () => caller.recentToneRatio(440, 200) > TONE_DETECTED, 10_000);
    await call<media.StopEchoRequest, media.StopEchoResponse>((r, cb) => client.stopEcho(r, cb), {
      sessionId,
      tag: '',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    caller.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(caller.packetsReceived).toBeLessThan(5);
  });

  it('echoes only the party named when a session holds two locally answered parties', async () => {
    // A call's session holds the inbound caller and a dialled leg, each answered by the platform alone.
    const { caller, sessionId } = await answerLocally();
    const { caller: dialled } = await answerLocally(media.MediaEcho.MEDIA_ECHO_OFF, sessionId, 'dialled');
    caller.startTone(440);
    dialled.startTone(700);
    await expect(
      call<media.StartEchoRequest, media.StartEchoResponse>((r, cb) => client.startEcho(r, cb), {
        sessionId,
        tag: '',
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await call<media.StartEchoRequest, media.StartEchoResponse>((r, cb) => client.startEcho(r, cb), {
      sessionId,
      tag: 'dialled',
    });
    await waitFor(
      '700 Hz echoed to the dialled leg',
      () => dialled.recentToneRatio(700, 200) > TONE_DETECTED,
      10_000,
    );
    expect(caller.packetsReceived).toBe(0);
  });

  it('relays between offerer and answerer, and BlockMedia silences one direction', async () => {
    const sessionId = randomUUID();
    const { a, b } = await w.relayed({ sessionId, callId: callIdOf(sessionId), offerer: 'a', answerer: 'b' });
    a.startTone(440);
    b.startTone(1000);
    await waitFor('A heard at B', () => b.recentToneRatio(440, 200) > TONE_DETECTED, 10_000);
    await waitFor('B heard at A', () => a.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    await call<media.BlockMediaRequest, media.BlockMediaResponse>((r, cb) => client.blockMedia(r, cb), {
      sessionId,
      tag: 'a',
    });
    b.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(b.recentToneRatio(440, 400)).toBeLessThan(TONE_DETECTED);
    a.clearReceived();
    await waitFor('B still heard at A', () => a.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
  });

  it('answers NOT_FOUND for an unknown session', async () => {
    await expect(play(randomUUID(), tone('any.wav', 1, 1000))).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(
      call<media.QueryRequest, media.QueryResponse>((r, cb) => client.query(r, cb), {
        sessionId: randomUUID(),
      }),
    ).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('answers NOT_FOUND naming a missing file by its name, not by where the worker looked for it', async () => {
    const { sessionId } = await answerLocally();
    const error: unknown = await play(sessionId, join(dir, 'no-such-prompt.wav')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: status.NOT_FOUND,
      details: 'media file not found: no-such-prompt.wav',
    });
  });

  it('answers INVALID_ARGUMENT for malformed SDP and leaves nothing on rtpengine', async () => {
    const sessionId = randomUUID();
    await expect(
      call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>((r, cb) => client.answerLocally(r, cb), {
        sessionId,
        fromTag: 'caller',
        sdp: 'this is not sdp',
        localTag: '',
        echo: 0,
        codecs: undefined,
        callId: callIdOf(sessionId),
        detectDtmf: false,
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await listSessions(w.worker.ng)).not.toContain(sessionId);
  });

  it('Delete removes the session from rtpengine', async () => {
    const { sessionId } = await answerLocally();
    expect(await listSessions(w.worker.ng)).toContain(sessionId);
    await call<media.DeleteRequest, media.DeleteResponse>((r, cb) => client.delete(r, cb), {
      sessionId,
      tag: '',
    });
    expect(await listSessions(w.worker.ng)).not.toContain(sessionId);
  });
});
