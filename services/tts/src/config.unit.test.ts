import { loggableConfig, readConfig } from './config';

describe('tts config', () => {
  it('has working defaults: espeak, no fallback, port 50054', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      GRPC_PORT: 50054,
      TTS_DEFAULT_PROVIDER: 'espeak',
      TTS_MAX_TEXT_CHARS: 3000,
      TTS_MAX_SSML_CHARS: 6000,
      ESPEAK_DEFAULT_VOICE: 'en-us',
    });
    expect(config.TTS_FALLBACK_PROVIDER).toBeUndefined();
  });

  it('refuses an unknown provider naming the variable', () => {
    expect(() => readConfig({ TTS_FALLBACK_PROVIDER: 'azure' })).toThrow(/TTS_FALLBACK_PROVIDER/);
  });

  it('wants the Polly key id and secret together', () => {
    expect(() => readConfig({ POLLY_ACCESS_KEY_ID: 'AKID' })).toThrow(
      /POLLY_SECRET_ACCESS_KEY: required with the other/,
    );
  });

  it('never shows a secret when logged', () => {
    const config = readConfig({
      POLLY_ACCESS_KEY_ID: 'AKIDVISIBLE',
      POLLY_SECRET_ACCESS_KEY: 'very-secret-key',
      GOOGLE_API_KEY: 'google-secret-key',
      GOOGLE_ACCESS_TOKEN: 'google-secret-token',
    });
    const shown = JSON.stringify(loggableConfig(config));
    expect(shown).not.toMatch(/very-secret-key|google-secret-key|google-secret-token/);
    expect(shown).toContain('AKIDVISIBLE');
    expect(loggableConfig(config).POLLY_SECRET_ACCESS_KEY).toBe('[redacted]');
  });
});

describe('tts config: announcing itself on NATS', () => {
  it('keeps the NATS password out of what is logged', () => {
    const config = readConfig({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_USER: 'tts',
      NATS_PASSWORD: 'hunter2',
    });
    expect(config.nats).toMatchObject({ user: 'tts', password: 'hunter2' });
    expect(JSON.stringify(loggableConfig(config))).not.toContain('hunter2');
  });
});
