// The polly provider through @aws-sdk/client-polly against the local Polly double (SigV4 checked, real
// audio from espeak-ng, Polly's error shapes).
import { status } from '@grpc/grpc-js';
import { PollyDouble, POLLY_TEST_CREDENTIALS } from './support/polly-double.js';
import { TtsFixture } from './support/tts-fixture.js';
import { plausibleSpeechMs, wavFacts } from './support/wav-checks.js';

const SENTENCE = 'Your call is important to us. Please stay on the line.';

describe('tts service - polly', () => {
  let polly: PollyDouble;
  let tts: TtsFixture;
  const pollyOptions = (overrides: Partial<TtsFixture['service']> & Record<string, unknown> = {}) => ({
    region: 'us-east-1',
    endpoint: polly.endpoint,
    ...POLLY_TEST_CREDENTIALS,
    engine: 'standard' as const,
    defaultVoice: 'Joanna',
    timeoutMs: 3000,
    maxConcurrency: 4,
    ...overrides,
  });

  beforeAll(async () => {
    polly = await PollyDouble.start();
    tts = await TtsFixture.start({ polly: pollyOptions() });
  });
  beforeEach(() => {
    polly.behaviour = 'speak';
  });
  afterAll(async () => {
    await tts.stop(true);
    await polly.close();
  });

  it('speaks through the SDK with a signed request carrying Polly fields, and wraps the pcm in a WAV', async () => {
    const spoken = await tts.synthesize({ provider: 'polly', input: { $case: 'text', text: SENTENCE } });
    expect(spoken).toMatchObject({ provider: 'polly', voice: 'Joanna', cached: false, fallbackFrom: '' });
    expect(polly.bodies.at(-1)).toEqual({
      Engine: 'standard',
      OutputFormat: 'pcm',
      SampleRate: '8000',
      Text: SENTENCE,
      TextType: 'text',
      VoiceId: 'Joanna',
    });
    const wav = wavFacts(await tts.fetchBytes(spoken.mediaId));
    expect(wav).toMatchObject({ sampleRateHz: 8000, channels: 1, bitsPerSample: 16, sizesConsistent: true });
    expect(wav.durationMs).toBeGreaterThan(plausibleSpeechMs(11).min);
    expect(wav.durationMs).toBeLessThan(plausibleSpeechMs(11).max);
    expect(wav.voicedShare).toBeGreaterThan(0.4);
  });

  it('passes the voice, language, SSML and 16 kHz', async () => {
    const spoken = await tts.synthesize({
      provider: 'polly',
      voice: 'Lea',
      language: 'fr-FR',
      sampleRateHz: 16000,
      input: { $case: 'ssml', ssml: '<speak>Bonjour <break time="300ms"/> et bienvenue.</speak>' },
    });
    expect(polly.bodies.at(-1)).toMatchObject({
      VoiceId: 'Lea',
      LanguageCode: 'fr-FR',
      SampleRate: '16000',
      TextType: 'ssml',
    });
    expect(wavFacts(await tts.fetchBytes(spoken.mediaId)).sampleRateHz).toBe(16000);
  });

  it('answers the second request from the cache without asking Polly', async () => {
    const text = `Polly cached ${Date.now()}`;
    await tts.synthesize({ provider: 'polly', input: { $case: 'text', text } });
    const asked = polly.requests;
    const again = await tts.synthesize({ provider: 'polly', input: { $case: 'text', text } });
    expect(again.cached).toBe(true);
    expect(polly.requests).toBe(asked);
  });

  it('asks Polly once for concurrent identical requests', async () => {
    const text = `Polly shared ${Date.now()}`;
    const asked = polly.requests;
    const together = await Promise.all(
      Array.from({ length: 5 }, () => tts.synthesize({ provider: 'polly', input: { $case: 'text', text } })),
    );
    expect(polly.requests - asked).toBe(1);
    expect(new Set(together.map((r) => r.mediaId)).size).toBe(1);
  });

  it('queues requests over the concurrency limit: one whose deadline passes while it waits never reaches Polly', async () => {
    const single = await TtsFixture.start({ polly: pollyOptions({ maxConcurrency: 1, timeoutMs: 1500 }) });
    try {
      polly.behaviour = 'hang';
      const asked = polly.requests;
      const first = single.synthesizeError({
        provider: 'polly',
        input: { $case: 'text', text: 'first in line' },
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = single.synthesize(
        { provider: 'polly', input: { $case: 'text', text: 'second in line' } },
        600,
      );
      await expect(second).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
      // The second never reached Polly: it waited for the place the hanging first request holds.
      expect(polly.requests - asked).toBe(1);
      expect((await first).details).toMatch(/polly did not answer within 1500 ms/);
      polly.behaviour = 'speak';
      const third = await single.synthesize({
        provider: 'polly',
        input: { $case: 'text', text: 'third in line' },
      });
      expect(third.provider).toBe('polly');
    } finally {
      await single.stop(true);
    }
  });

  it('answers UNAVAILABLE naming polly when a request without a deadline waits longer than TTS_REQUEST_TIMEOUT_MS', async () => {
    const single = await TtsFixture.start({
      requestTimeoutMs: 500,
      polly: pollyOptions({ maxConcurrency: 1, timeoutMs: 1500 }),
    });
    try {
      polly.behaviour = 'hang';
      const first = single.synthesizeError({
        provider: 'polly',
        input: { $case: 'text', text: 'holding the place' },
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const waiting = await single
        .synthesize({ provider: 'polly', input: { $case: 'text', text: 'no deadline of its own' } }, Infinity)
        .catch((error: unknown) => error as { code: number; details: string });
      expect(waiting).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringMatching(/polly did not speak within the request's deadline/),
      });
      await first;
    } finally {
      await single.stop(true);
    }
  });

  it('maps an unknown voice or language to INVALID_ARGUMENT naming it', async () => {
    const voice = await tts.synthesizeError({
      provider: 'polly',
      voice: 'Brunhilde',
      input: { $case: 'text', text: 'hi' },
    });
    expect(voice.code).toBe(status.INVALID_ARGUMENT);
    expect(voice.details).toMatch(/polly has no voice "Brunhilde"/);
    const language = await tts.synthesizeError({
      provider: 'polly',
      language: 'tlh-QO',
      input: { $case: 'text', text: 'hi' },
    });
    expect(language.code).toBe(status.INVALID_ARGUMENT);
    expect(language.details).toMatch(/polly has no language "tlh-QO"/);
    const ssml = await tts.synthesizeError({
      provider: 'polly',
      input: { $case: 'ssml', ssml: '<speak>unclosed <break</speak>' },
    });
    expect(ssml.code).toBe(status.INVALID_ARGUMENT);
  });

  it('maps throttling and a server failure to UNAVAILABLE naming polly', async () => {
    polly.behaviour = 'throttle';
    const throttled = await tts.synthesizeError({
      provider: 'polly',
      input: { $case: 'text', text: 'throttled' },
    });
    expect(throttled.code).toBe(status.UNAVAILABLE);
    expect(throttled.details).toMatch(/polly is unavailable \(ThrottlingException\)/);
    polly.behaviour = 'fail';
    const failed = await tts.synthesizeError({ provider: 'polly', input: { $case: 'text', text: 'failed' } });
    expect(failed.code).toBe(status.UNAVAILABLE);
    expect(failed.details).toMatch(/polly is unavailable \(ServiceFailureException\)/);
  });

  it('maps no answer within the timeout to UNAVAILABLE naming polly', async () => {
    const slow = await TtsFixture.start({ polly: pollyOptions({ timeoutMs: 400 }) });
    try {
      polly.behaviour = 'hang';
      const error = await slow.synthesizeError({
        provider: 'polly',
        input: { $case: 'text', text: 'are you there' },
      });
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toMatch(/polly did not answer within 400 ms/);
    } finally {
      await slow.stop(true);
    }
  });

  it('maps refused credentials to FAILED_PRECONDITION: a wrong secret fails the signature, an unknown key is unrecognised', async () => {
    const wrongSecret = await TtsFixture.start({
      polly: pollyOptions({ secretAccessKey: 'not-the-secret' }),
    });
    const unknownKey = await TtsFixture.start({ polly: pollyOptions({ accessKeyId: 'AKIDUNKNOWN' }) });
    try {
      const signature = await wrongSecret.synthesizeError({
        provider: 'polly',
        input: { $case: 'text', text: 'hi' },
      });
      expect(signature.code).toBe(status.FAILED_PRECONDITION);
      expect(signature.details).toMatch(/polly refused the credentials \(InvalidSignatureException\)/);
      const unknown = await unknownKey.synthesizeError({
        provider: 'polly',
        input: { $case: 'text', text: 'hi' },
      });
      expect(unknown.code).toBe(status.FAILED_PRECONDITION);
      expect(unknown.details).toMatch(/UnrecognizedClientException/);
    } finally {
      await wrongSecret.stop(true);
      await unknownKey.stop(true);
    }
  });

  it('lets the fallback provider speak when polly is unavailable, and says so', async () => {
    const withFallback = await TtsFixture.start({ polly: pollyOptions(), fallbackProvider: 'espeak' });
    try {
      polly.behaviour = 'throttle';
      const spoken = await withFallback.synthesize({
        provider: 'polly',
        language: 'en-US',
        input: { $case: 'text', text: 'Please try again later.' },
      });
      expect(spoken).toMatchObject({ provider: 'espeak', voice: 'en-us', fallbackFrom: 'polly' });
      expect(wavFacts(await withFallback.fetchBytes(spoken.mediaId)).voicedShare).toBeGreaterThan(0.4);
      // Bad input is not an outage: no fallback.
      polly.behaviour = 'speak';
      const refused = await withFallback.synthesizeError({
        provider: 'polly',
        voice: 'Brunhilde',
        input: { $case: 'text', text: 'hi' },
      });
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      await withFallback.stop(true);
    }
  });
});
