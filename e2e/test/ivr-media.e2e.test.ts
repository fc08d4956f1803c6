// IVR media end to end with real peers (issue #12): sipp callers whose SDP points at RTP sockets the test
// owns, the whole platform with the tts service (espeak-ng) and the media library, and an application that
// uses only the public API. What the caller hears is measured at its socket: speech energy for as long as
// the synthesized file lasts, a prompt that stops when a digit barges in, RFC 4733 digits sent to it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { callEvents, mediaLibrary, type callControl } from '@callctl/proto';
import { makeToneFile, RtpEndpoint, startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(120_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** A sample above this RMS level is speech or tone, not the silence between words. */
const SPEECH_RMS = 300;
const TONE_HZ = 1000;
/** Small enough for a test to exceed twice without much data. */
const UPLOAD_LIMIT = 256 * 1024;

interface Caller {
  callId: string;
  legId: string;
  rtp: RtpEndpoint;
  sipp: RunningSipp;
}

describe('IVR media: say, prompt-and-collect with barge-in, DTMF out and in-band, the media library', () => {
  let p: PlatformUnderTest;
  let library: mediaLibrary.MediaLibraryClient;

  beforeAll(async () => {
    p = await startPlatform(
      {},
      // The media-worker runs with the default URL policy here: loopback and metadata addresses refused.
      {
        mediaServices: { mediaLibraryEnv: { MEDIA_UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT) } },
        mediaWorkerEnv: { MEDIA_URL_ALLOW: '' },
      },
    );
    // The public media library is served on the orchestrator's address, as CallControl is.
    library = new mediaLibrary.MediaLibraryClient(
      `127.0.0.1:${p.orchestrator.grpcPort}`,
      credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    library?.close();
    await p?.close();
  });

  /** A sipp caller answered by the application; its RTP socket also sends to rtpengine (for digits). */
  async function answeredCaller(scenario: string, service: string): Promise<Caller> {
    const rtp = await RtpEndpoint.open();
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
      args: ['-key', 'rtp_port', String(rtp.port)],
      timeoutMs: 60_000,
    });
    const initiated = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    const { callId, legId, media } = initiated.event.legInitiated;
    await p.api.answerLeg({ callId, legId });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    rtp.useRemote(await p.edge.rtpengineSideOf(media!));
    return { callId, legId, rtp, sipp };
  }

  async function hangUp(caller: Caller): Promise<void> {
    await p.api.hangup({ callId: caller.callId });
    p.edge.expectSippSucceeded(await caller.sipp.result);
    await caller.rtp.close();
  }

  const version = async (callId: string) => (await p.api.getCall({ callId })).call!.version;

  /** From the first to the last loud packet: how long the caller heard speech or tone. */
  const loudSpan = (rtp: RtpEndpoint, from = 0) => {
    const loud = rtp.arrivals.filter((a) => a.at >= from && a.rms > SPEECH_RMS);
    return loud.length === 0 ? 0 : loud[loud.length - 1]!.at - loud[0]!.at;
  };

  it('says a sentence: the caller hears speech for as long as the synthesized file lasts', async () => {
    const caller = await answeredCaller('uac-answered-expect-bye.xml', 'say');
    try {
      const { playbackId } = await p.api.say({
        callId: caller.callId,
        legId: caller.legId,
        speech: { input: { $case: 'text', text: 'Thank you for calling. Your balance is twelve dollars.' } },
        idempotencyKey: `say-${caller.callId}`,
      });
      const started = await p.event(
        'playbackStarted',
        (e) => e.event.playbackStarted.playbackId === playbackId,
      );
      expect(started.event.playbackStarted.source).toMatch(/^tts:espeak\/\S+$/);
      expect(started.event.playbackStarted.mediaUri).toMatch(/^tts:/);
      const duration = started.event.playbackStarted.durationMs;
      expect(duration).toBeGreaterThan(1500);
      const finished = await p.event(
        'playbackFinished',
        (e) => e.event.playbackFinished.playbackId === playbackId,
        duration + 10_000,
      );
      expect(finished.event.playbackFinished.reason).toBe(
        callEvents.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
      );
      expect(finished.event.playbackFinished.source).toBe(started.event.playbackStarted.source);
      // The caller received the whole file: 20 ms of audio per packet (counted rather than timed by
      // arrival: rtpengine paces a playback in bursts), and speech, not silence, in most of it.
      const packets = caller.rtp.arrivals;
      expect(Math.abs(packets.length * 20 - duration)).toBeLessThanOrEqual(100);
      const loud = packets.filter((a) => a.rms > SPEECH_RMS).length;
      expect(loud * 20).toBeGreaterThan(duration / 2);
    } finally {
      await hangUp(caller);
    }
  });

  it('collects digits after prompts, and a digit barges in: the prompt stops within 100 ms', async () => {
    const caller = await answeredCaller('uac-answered-expect-bye.xml', 'barge-in');
    try {
      const { collectId } = await p.api.collectDigits({
        callId: caller.callId,
        legId: caller.legId,
        maxDigits: 2,
        terminators: '#',
        firstDigitTimeoutMs: 10_000,
        bargeIn: true,
        prompts: [
          {
            media: {
              $case: 'say',
              say: {
                input: {
                  $case: 'text',
                  text: 'Please enter your two digit account code, followed by the hash key, now or later.',
                },
              },
            },
          },
          {
            media: {
              $case: 'say',
              say: { input: { $case: 'text', text: 'This second prompt is skipped.' } },
            },
          },
        ],
        idempotencyKey: `collect-${caller.callId}`,
      });
      const prompt = await p.event('playbackStarted', (e) => e.event.playbackStarted.collectId === collectId);
      await waitFor('the prompt at the caller', () => loudSpan(caller.rtp) > 500, 10_000);

      await caller.rtp.sendDigit('4');
      const digitEnded = Date.now();
      const stopped = await p.event(
        'playbackFinished',
        (e) => e.event.playbackFinished.playbackId === prompt.event.playbackStarted.playbackId,
      );
      expect(stopped.event.playbackFinished.reason).toBe(
        callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED,
      );
      // Wait past any packet still in flight, then find the last one of the prompt.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const lastPromptPacket = caller.rtp.arrivals.filter((a) => a.rms > SPEECH_RMS).pop()!.at;
      expect(lastPromptPacket - digitEnded).toBeLessThanOrEqual(100);

      await caller.rtp.sendDigit('2');
      const collected = await p.event(
        'digitsCollected',
        (e) => e.event.digitsCollected.collectId === collectId,
      );
      expect(collected.event.digitsCollected.digits).toBe('42');
      const received = p
        .eventsOf(caller.callId)
        .filter((e) => e.event?.$case === 'dtmfReceived')
        .map((e) => (e.event as { dtmfReceived: callEvents.DtmfReceived }).dtmfReceived);
      expect(received.map((d) => [d.digit, d.method])).toEqual([
        ['4', callEvents.DtmfMethod.DTMF_METHOD_RFC4733],
        ['2', callEvents.DtmfMethod.DTMF_METHOD_RFC4733],
      ]);
      // The second prompt was skipped: no playback of it ever started.
      const prompts = p
        .eventsOf(caller.callId)
        .filter(
          (e) => e.event?.$case === 'playbackStarted' && e.event.playbackStarted.collectId === collectId,
        );
      expect(prompts).toHaveLength(1);
    } finally {
      await hangUp(caller);
    }
  });

  it('sends DTMF as RFC 4733 to a leg with telephone-event, by SIP INFO to one without', async () => {
    const withEvents = await answeredCaller('uac-answered-expect-bye.xml', 'dtmf-out');
    try {
      // rtpengine injects digits only on a stream it has seen media on: the caller talks first.
      withEvents.rtp.startTone(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const sent = await p.api.sendDtmf({
        callId: withEvents.callId,
        legId: withEvents.legId,
        digits: '1#',
        durationMs: 120,
        idempotencyKey: `dtmf-${withEvents.callId}`,
      });
      expect(sent.method).toBe(callEvents.DtmfMethod.DTMF_METHOD_RFC4733);
      await waitFor('both digits at the caller', () => withEvents.rtp.receivedDigits().length >= 2, 10_000);
      expect(withEvents.rtp.receivedDigits()).toBe('1#');
      const recorded = await p.event('dtmfSent', (e) => e.event.dtmfSent.callId === withEvents.callId);
      expect(recorded.event.dtmfSent).toMatchObject({
        digits: '1#',
        method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733,
      });
    } finally {
      withEvents.rtp.stopTone();
      await hangUp(withEvents);
    }

    // The scenario fails unless two INFOs carry Signal=4 then Signal=#.
    const withoutEvents = await answeredCaller('uac-pcmu-only-expects-info-4-hash.xml', 'dtmf-info');
    const sent = await p.api.sendDtmf({
      callId: withoutEvents.callId,
      legId: withoutEvents.legId,
      digits: '4#',
      idempotencyKey: `dtmf-${withoutEvents.callId}`,
    });
    expect(sent.method).toBe(callEvents.DtmfMethod.DTMF_METHOD_INFO);
    await hangUp(withoutEvents);
  });

  it('detects DTMF sent as tones in the audio once in-band detection is on', async () => {
    // A phone without telephone-event, the kind in-band detection is for: a leg that negotiated it
    // reports every digit as RFC 4733 (rtpengine's report does not say which way a digit came).
    const caller = await answeredCaller('uac-pcmu-only-expect-bye.xml', 'inband');
    try {
      await p.api.setDtmfDetection({ callId: caller.callId, legId: caller.legId, inband: true });
      await p.event('dtmfDetectionChanged', (e) => e.event.dtmfDetectionChanged.callId === caller.callId);
      expect((await p.api.getCall({ callId: caller.callId })).call!.legs[0]!.inbandDtmf).toBe(true);
      caller.rtp.startTone(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      caller.rtp.startTone([770, 1336]); // 5
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.rtp.startTone(0);
      const digit = await p.event(
        'dtmfReceived',
        (e) => e.event.dtmfReceived.callId === caller.callId,
        10_000,
      );
      expect(digit.event.dtmfReceived).toMatchObject({
        digit: '5',
        method: callEvents.DtmfMethod.DTMF_METHOD_INBAND,
      });
    } finally {
      caller.rtp.stopTone();
      await hangUp(caller);
    }
  });

  describe('the media library', () => {
    const upload = (name: string, data: Buffer) =>
      new Promise<mediaLibrary.UploadMediaResponse>((resolve, reject) => {
        const stream = library.uploadMedia(new Metadata(), (error, response) =>
          error ? reject(error) : resolve(response!),
        );
        stream.write({ part: { $case: 'metadata', metadata: { name } } });
        for (let at = 0; at < data.length; at += 64 * 1024)
          stream.write({ part: { $case: 'chunk', chunk: data.subarray(at, at + 64 * 1024) } });
        stream.end();
      });
    const remove = (mediaId: string) =>
      new Promise<void>((resolve, reject) =>
        library.deleteMedia({ mediaId }, (error) => (error ? reject(error) : resolve())),
      );

    it('plays an uploaded MP3 by its id; once deleted, playing it is NOT_FOUND and nothing is recorded', async () => {
      const wav = makeToneFile(p.edge.dir, 'upload-tone.wav', 2, TONE_HZ);
      const mp3 = join(p.edge.dir, 'upload-tone.mp3');
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', wav, mp3]);
      const { media } = await upload('greeting.mp3', readFileSync(mp3));
      expect(media).toMatchObject({ name: 'greeting.mp3', uploadedFormat: 'mp3' });
      expect(media!.mediaId).toMatch(/^ml-[0-9a-f]{32}$/);
      expect(Math.abs(media!.durationMs - 2000)).toBeLessThanOrEqual(100);

      const caller = await answeredCaller('uac-answered-expect-bye.xml', 'library');
      try {
        const { playbackId } = await p.api.playMedia({
          callId: caller.callId,
          legId: caller.legId,
          media: { $case: 'fileId', fileId: media!.mediaId },
          idempotencyKey: `play-${caller.callId}`,
        });
        const started = await p.event(
          'playbackStarted',
          (e) => e.event.playbackStarted.playbackId === playbackId,
        );
        expect(started.event.playbackStarted).toMatchObject({
          mediaUri: `library:${media!.mediaId}`,
          source: 'library',
        });
        await waitFor(
          'the uploaded tone at the caller',
          () => caller.rtp.recentToneRatio(TONE_HZ) > 0.5,
          10_000,
        );

        await remove(media!.mediaId);
        const before = await version(caller.callId);
        await expect(
          p.api.playMedia({
            callId: caller.callId,
            legId: caller.legId,
            media: { $case: 'fileId', fileId: media!.mediaId },
            idempotencyKey: `play-again-${caller.callId}`,
          }),
        ).rejects.toMatchObject({ status: status.NOT_FOUND });
        expect(await version(caller.callId)).toBe(before);
      } finally {
        await hangUp(caller);
      }
    });

    it('refuses a text file named .wav and a file over the size limit', async () => {
      const text = join(p.edge.dir, 'not-audio.wav');
      writeFileSync(text, 'this is not audio\n'.repeat(100));
      await expect(upload('not-audio.wav', readFileSync(text))).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/audio/i),
      });
      await expect(upload('big.wav', Buffer.alloc(2 * UPLOAD_LIMIT, 1))).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining(String(UPLOAD_LIMIT)),
      });
      const listed = await new Promise<mediaLibrary.ListMediaResponse>((resolve, reject) =>
        library.listMedia({ pageSize: 100, pageToken: '' }, (error: ServiceError | null, response) =>
          error ? reject(error) : resolve(response!),
        ),
      );
      expect(listed.media.map((m) => m.name)).not.toContain('big.wav');
      expect(listed.media.map((m) => m.name)).not.toContain('not-audio.wav');
    });
  });

  it('refuses bad input with a clear status and records nothing', async () => {
    const caller = await answeredCaller('uac-answered-expect-bye.xml', 'ivr-bad-input');
    try {
      const { callId, legId } = caller;
      const before = await version(callId);
      const say = (speech: callControl.Speech, key: string) =>
        p.api.say({ callId, legId, speech, idempotencyKey: key });
      await expect(
        say({ input: { $case: 'text', text: '' }, voice: '', provider: '', language: '' }, 'k1'),
      ).rejects.toMatchObject({
        status: status.INVALID_ARGUMENT,
      });
      await expect(
        say(
          { input: { $case: 'text', text: 'word '.repeat(20_000) }, voice: '', provider: '', language: '' },
          'k2',
        ),
      ).rejects.toMatchObject({
        status: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/3000|too long/),
      });
      await expect(
        say(
          { input: { $case: 'text', text: 'hello' }, voice: 'no-such-voice', provider: '', language: '' },
          'k3',
        ),
      ).rejects.toMatchObject({
        status: status.INVALID_ARGUMENT,
        details: expect.stringContaining('no-such-voice'),
      });
      await expect(
        p.api.sendDtmf({ callId, legId, digits: '12X', idempotencyKey: 'k4' }),
      ).rejects.toMatchObject({ status: status.INVALID_ARGUMENT, details: expect.stringContaining('X') });
      for (const url of ['http://127.0.0.1:9/prompt.wav', 'http://169.254.169.254/latest/meta-data/']) {
        await expect(
          p.api.playMedia({ callId, legId, media: { $case: 'url', url }, idempotencyKey: `k-${url}` }),
        ).rejects.toMatchObject({
          status: status.INVALID_ARGUMENT,
          details: expect.stringMatching(/127\.0\.0\.1|169\.254\.169\.254/),
        });
      }
      expect(await version(callId)).toBe(before);
    } finally {
      await hangUp(caller);
    }
  });

  it('hangs an inbound call up after the max duration given on answer', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
        remote: `127.0.0.1:${p.edge.engine.sipPort}`,
        service: 'max-duration',
        args: ['-key', 'rtp_port', String(rtp.port)],
        timeoutMs: 30_000,
      });
      const initiated = await p.event('legInitiated', (e) =>
        e.event.legInitiated.toUri.includes('sip:max-duration@'),
      );
      const { callId, legId } = initiated.event.legInitiated;
      await p.api.answerLeg({ callId, legId, maxDurationMs: 1500 });
      const set = await p.event('callMaxDurationSet', (e) => e.event.callMaxDurationSet.callId === callId);
      expect(set.event.callMaxDurationSet.maxDurationMs).toBe(1500);
      const ended = await p.event('callEnded', (e) => e.event.callEnded.callId === callId, 15_000);
      expect(ended.event.callEnded.cause).toBe(callEvents.EndCause.END_CAUSE_MAX_DURATION);
      p.edge.expectSippSucceeded(await sipp.result);
    } finally {
      await rtp.close();
    }
  });
});
