// The google provider through @google-cloud/text-to-speech (REST transport) against the local double: API
// key or bearer token, real audio from espeak-ng with a WAV header, Google's error JSON.
import { status } from '@grpc/grpc-js';
import { GoogleDouble, GOOGLE_TEST_CREDENTIALS } from './support/google-double.js';
import { TtsFixture } from './support/tts-fixture.js';
import { wavFacts } from './support/wav-checks.js';

describe('tts service - google', () => {
  let google: GoogleDouble;
  let tts: TtsFixture;
  const googleOptions = (overrides: Record<string, unknown> = {}) => ({
    endpoint: google.endpoint,
    apiKey: GOOGLE_TEST_CREDENTIALS.apiKey,
    defaultVoice: 'en-US-Standard-C',
    timeoutMs: 3000,
    maxConcurrency: 4,
    ...overrides,
  });

  beforeAll(async () => {
    google = await GoogleDouble.start();
    tts = await TtsFixture.start({ google: googleOptions() });
  });
  beforeEach(() => {
    google.behaviour = 'speak';
  });
  afterAll(async () => {
    await tts.stop(true);
    await google.close();
  });

  it('speaks with an API key, asking LINEAR16 at the rate, and keeps the samples of the WAV it gets', async () => {
    const spoken = await tts.synthesize({
      provider: 'google',
      input: { $case: 'text', text: 'Press the pound key when you are done.' },
    });
    expect(spoken).toMatchObject({ provider: 'google', voice: 'en-US-Standard-C', cached: false });
    const seen = google.seen.at(-1)!;
    expect(seen.auth).toBe('apiKey');
    expect(seen.body).toMatchObject({
      input: { text: 'Press the pound key when you are done.' },
      voice: { languageCode: 'en-US', name: 'en-US-Standard-C' },
      audioConfig: { sampleRateHertz: 8000 },
    });
    expect([1, 'LINEAR16']).toContain(seen.body.audioConfig?.audioEncoding);
    const wav = wavFacts(await tts.fetchBytes(spoken.mediaId));
    expect(wav).toMatchObject({ sampleRateHz: 8000, channels: 1, bitsPerSample: 16, sizesConsistent: true });
    expect(wav.durationMs).toBe(spoken.durationMs);
    expect(wav.durationMs).toBeGreaterThan(1000);
    expect(wav.voicedShare).toBeGreaterThan(0.4);
  });

  it('speaks SSML at 16 kHz with a bearer token', async () => {
    const withToken = await TtsFixture.start({
      google: googleOptions({ apiKey: undefined, accessToken: GOOGLE_TEST_CREDENTIALS.accessToken }),
    });
    try {
      const spoken = await withToken.synthesize({
        provider: 'google',
        voice: 'en-GB-Standard-A',
        sampleRateHz: 16000,
        input: { $case: 'ssml', ssml: '<speak>Good morning.</speak>' },
      });
      expect(google.seen.at(-1)).toMatchObject({
        auth: 'bearer',
        body: { input: { ssml: '<speak>Good morning.</speak>' } },
      });
      expect(wavFacts(await withToken.fetchBytes(spoken.mediaId)).sampleRateHz).toBe(16000);
    } finally {
      await withToken.stop(true);
    }
  });

  it('maps a voice Google does not have to INVALID_ARGUMENT naming it', async () => {
    const error = await tts.synthesizeError({
      provider: 'google',
      voice: 'en-US-Imaginary-Z',
      input: { $case: 'text', text: 'hi' },
    });
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/google refused voice "en-US-Imaginary-Z"/);
  });

  it('maps quota exhaustion to UNAVAILABLE naming google, and a timeout too', async () => {
    google.behaviour = 'exhausted';
    const exhausted = await tts.synthesizeError({
      provider: 'google',
      input: { $case: 'text', text: 'quota' },
    });
    expect(exhausted.code).toBe(status.UNAVAILABLE);
    expect(exhausted.details).toMatch(/google is unavailable/);
    const slow = await TtsFixture.start({ google: googleOptions({ timeoutMs: 400 }) });
    try {
      google.behaviour = 'hang';
      const timedOut = await slow.synthesizeError({
        provider: 'google',
        input: { $case: 'text', text: 'slow' },
      });
      expect(timedOut.code).toBe(status.UNAVAILABLE);
      expect(timedOut.details).toMatch(/google/);
    } finally {
      await slow.stop(true);
    }
  });

  it('maps refused credentials to FAILED_PRECONDITION', async () => {
    const badKey = await TtsFixture.start({ google: googleOptions({ apiKey: 'wrong-key' }) });
    try {
      const error = await badKey.synthesizeError({
        provider: 'google',
        input: { $case: 'text', text: 'hi' },
      });
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.details).toMatch(/google refused the credentials/);
    } finally {
      await badKey.stop(true);
    }
  });
});
