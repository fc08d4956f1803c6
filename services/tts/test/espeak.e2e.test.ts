// The tts service over gRPC with the real espeak-ng and sox: speech in WAV at the asked rate, served by
// MediaStore, cached across calls and restarts, and clear errors for bad requests.
import { status } from '@grpc/grpc-js';
import { TtsFixture } from './support/tts-fixture.js';
import { plausibleSpeechMs, wavFacts } from './support/wav-checks.js';

const SENTENCE = 'Thank you for calling. Please press one for sales or two for support.';
const WORDS = SENTENCE.split(/\s+/).length;

describe('tts service - espeak', () => {
  let tts: TtsFixture;
  beforeAll(async () => {
    tts = await TtsFixture.start();
  });
  afterAll(() => tts.stop(true));

  it('speaks text as a 16-bit mono WAV at 8000 Hz by default, served in chunks by FetchMedia', async () => {
    const spoken = await tts.synthesize({ input: { $case: 'text', text: SENTENCE } });
    expect(spoken).toMatchObject({ provider: 'espeak', voice: 'en-us', fallbackFrom: '', cached: false });
    expect(spoken.mediaId).toMatch(/^tts-[0-9a-f]{64}$/);

    const messages = await tts.fetchMedia(spoken.mediaId);
    const bytes = Buffer.concat(messages.map((m) => m.chunk));
    expect(messages[0]).toMatchObject({ totalBytes: bytes.length, durationMs: spoken.durationMs });
    expect(messages.every((m) => m.chunk.length <= 64 * 1024)).toBe(true);
    const wav = wavFacts(bytes);
    expect(wav).toMatchObject({ sampleRateHz: 8000, channels: 1, bitsPerSample: 16, sizesConsistent: true });
    expect(Math.abs(wav.durationMs - spoken.durationMs)).toBeLessThanOrEqual(1);
    const plausible = plausibleSpeechMs(WORDS);
    expect(spoken.durationMs).toBeGreaterThan(plausible.min);
    expect(spoken.durationMs).toBeLessThan(plausible.max);
    expect(wav.voicedShare).toBeGreaterThan(0.4);
  });

  it('speaks at 16000 Hz when asked, with a different media id', async () => {
    const narrow = await tts.synthesize({ input: { $case: 'text', text: 'Goodbye.' } });
    const wide = await tts.synthesize({ input: { $case: 'text', text: 'Goodbye.' }, sampleRateHz: 16000 });
    expect(wide.mediaId).not.toBe(narrow.mediaId);
    const wav = wavFacts(await tts.fetchBytes(wide.mediaId));
    expect(wav.sampleRateHz).toBe(16000);
    expect(Math.abs(wav.durationMs - narrow.durationMs)).toBeLessThan(60);
  });

  it('speaks SSML', async () => {
    const spoken = await tts.synthesize({
      input: { $case: 'ssml', ssml: '<speak>Hello <break time="500ms"/> world.</speak>' },
    });
    const wav = wavFacts(await tts.fetchBytes(spoken.mediaId));
    expect(wav.voicedShare).toBeGreaterThan(0.2);
    expect(spoken.durationMs).toBeGreaterThan(800);
  });

  it('picks a voice for a language, and takes variants', async () => {
    const french = await tts.synthesize({ language: 'fr-FR', input: { $case: 'text', text: 'Bonjour.' } });
    expect(french.voice).toBe('fr-fr');
    const variant = await tts.synthesize({ voice: 'en-us+f3', input: { $case: 'text', text: 'Hello.' } });
    expect(variant.voice).toBe('en-us+f3');
  });

  it('answers from the cache the second time, and concurrent identical requests share one synthesis', async () => {
    const text = `Your reference is ${Date.now()}.`;
    const together = await Promise.all(
      Array.from({ length: 4 }, () => tts.synthesize({ input: { $case: 'text', text } })),
    );
    expect(new Set(together.map((r) => r.mediaId)).size).toBe(1);
    expect(together.every((r) => !r.cached)).toBe(true);
    const again = await tts.synthesize({ voice: 'EN-US', input: { $case: 'text', text } });
    expect(again).toMatchObject({
      mediaId: together[0]!.mediaId,
      cached: true,
      durationMs: together[0]!.durationMs,
    });
  });

  it('refuses bad requests with INVALID_ARGUMENT naming what is wrong', async () => {
    const cases: Array<[Parameters<TtsFixture['synthesize']>[0], RegExp]> = [
      [{ input: { $case: 'text', text: '   ' } }, /text is empty/],
      [{}, /text or ssml is required/],
      [{ input: { $case: 'text', text: 'x'.repeat(3001) } }, /3001 characters; the limit is 3000/],
      [{ input: { $case: 'ssml', ssml: 'not ssml' } }, /<speak>/],
      [{ provider: 'acme', input: { $case: 'text', text: 'hi' } }, /unknown provider "acme"/],
      [{ voice: 'klingon', input: { $case: 'text', text: 'hi' } }, /espeak has no voice "klingon"/],
      [{ voice: 'en-us+nosuch', input: { $case: 'text', text: 'hi' } }, /variant "nosuch"/],
      [{ language: 'xx-YY', input: { $case: 'text', text: 'hi' } }, /no voice for language "xx-YY"/],
      [
        { voice: 'fr-fr', language: 'de', input: { $case: 'text', text: 'hi' } },
        /"fr-fr" does not speak language "de"/,
      ],
      [{ sampleRateHz: 44100, input: { $case: 'text', text: 'hi' } }, /sample_rate_hz 44100/],
    ];
    for (const [request, message] of cases) {
      const error = await tts.synthesizeError(request);
      expect({ code: error.code, details: error.details }).toEqual({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(message),
      });
    }
  });

  it('answers UNIMPLEMENTED naming the variables for a provider without credentials', async () => {
    const polly = await tts.synthesizeError({ provider: 'polly', input: { $case: 'text', text: 'hi' } });
    expect(polly.code).toBe(status.UNIMPLEMENTED);
    expect(polly.details).toMatch(/POLLY_ACCESS_KEY_ID and POLLY_SECRET_ACCESS_KEY/);
    const google = await tts.synthesizeError({ provider: 'google', input: { $case: 'text', text: 'hi' } });
    expect(google.code).toBe(status.UNIMPLEMENTED);
    expect(google.details).toMatch(/GOOGLE_API_KEY/);
  });

  it('answers NOT_FOUND for an unknown media id, INVALID_ARGUMENT for a malformed one', async () => {
    await expect(tts.fetchMedia(`tts-${'0'.repeat(64)}`)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(tts.fetchMedia('../etc/passwd')).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});

describe('tts service - cache across a restart', () => {
  it('finds what an earlier run made in the same directory', async () => {
    const first = await TtsFixture.start();
    const made = await first.synthesize({ input: { $case: 'text', text: 'Please hold the line.' } });
    const bytes = await first.fetchBytes(made.mediaId);
    await first.stop();
    const second = await TtsFixture.start({}, first.cacheDir);
    try {
      const again = await second.synthesize({ input: { $case: 'text', text: 'Please hold the line.' } });
      expect(again).toMatchObject({ mediaId: made.mediaId, cached: true, durationMs: made.durationMs });
      expect((await second.fetchBytes(made.mediaId)).equals(bytes)).toBe(true);
    } finally {
      await second.stop(true);
    }
  });
});

describe('tts service - start', () => {
  it('does not start with a default espeak voice espeak-ng does not have', async () => {
    const started = await TtsFixture.start({
      espeak: { defaultVoice: 'klingon', timeoutMs: 5000, maxConcurrency: 1 },
    }).then(
      async (fixture) => {
        await fixture.stop(true);
        return undefined;
      },
      (error: unknown) => error as Error,
    );
    expect(started?.message).toBe('espeak has no voice "klingon"');
  });
});
