// The defaults that depend on another service's bounds.
import { ConfigError } from '@callctl/config';
import { readConfig } from './config.js';

const minimal = { DATABASE_URL: 'postgres://u@127.0.0.1/db', NATS_URL: 'nats://127.0.0.1:4222' };

describe('readConfig', () => {
  it('waits for the tts service longer than it bounds a request (15 s) and a provider with its fallback (5 + 5 s)', () => {
    const config = readConfig(minimal);
    expect(config.TTS_TIMEOUT_MS).toBe(20_000);
    expect(config.TTS_TIMEOUT_MS).toBeGreaterThan(15_000);
  });

  it('takes TTS_TIMEOUT_MS from the environment', () => {
    expect(readConfig({ ...minimal, TTS_TIMEOUT_MS: '30000' }).TTS_TIMEOUT_MS).toBe(30_000);
  });

  it('finds the recording service (Recorder and Recordings) on 50056 unless told', () => {
    expect(readConfig(minimal).RECORDING_GRPC).toEqual(
      readConfig({ ...minimal, RECORDING_GRPC: '127.0.0.1:50056' }).RECORDING_GRPC,
    );
    expect(readConfig(minimal).RECORDING_TIMEOUT_MS).toBe(10_000);
  });

  it('finds the stream gateway on 50058 with a 5 s deadline unless told', () => {
    expect(readConfig(minimal).STREAM_GATEWAY_GRPC).toEqual({ host: '127.0.0.1', port: 50058 });
    expect(readConfig(minimal).STREAM_GATEWAY_TIMEOUT_MS).toBe(5000);
    expect(readConfig({ ...minimal, STREAM_GATEWAY_GRPC: '10.0.0.7:6000' }).STREAM_GATEWAY_GRPC).toEqual({
      host: '10.0.0.7',
      port: 6000,
    });
  });
});

describe('readConfig: DEVICE_CALL_ROUTING', () => {
  it("routes a device's call on the platform unless the application is to", () => {
    expect(readConfig(minimal).DEVICE_CALL_ROUTING).toBe('platform');
    expect(readConfig({ ...minimal, DEVICE_CALL_ROUTING: 'app' }).DEVICE_CALL_ROUTING).toBe('app');
    expect(() => readConfig({ ...minimal, DEVICE_CALL_ROUTING: 'both' })).toThrow(/DEVICE_CALL_ROUTING/);
  });
});

describe('readConfig: the public port', () => {
  const problem = (environment: Record<string, string>) => {
    try {
      readConfig({ ...minimal, ...environment });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return 'accepted';
  };

  it('serves without credentials on loopback, as make dev does', () => {
    expect(readConfig(minimal)).toMatchObject({
      API_AUTH: 'none',
      publicTls: undefined,
      apiTokensFile: undefined,
    });
  });

  it('refuses API_AUTH=none on another address unless client certificates or API_ALLOW_UNAUTHENTICATED allow it', () => {
    expect(problem({ GRPC_HOST: '0.0.0.0' })).toContain('API_AUTH: none would serve the API to anyone');
    expect(problem({ GRPC_HOST: '0.0.0.0', API_ALLOW_UNAUTHENTICATED: 'true' })).toBe('accepted');
    expect(
      problem({
        GRPC_HOST: '0.0.0.0',
        GRPC_TLS_CERT_FILE: '/tls/cert.pem',
        GRPC_TLS_KEY_FILE: '/tls/key.pem',
        GRPC_TLS_CLIENT_CA_FILE: '/tls/ca.pem',
      }),
    ).toBe('accepted');
  });

  it('needs API_TOKENS_FILE with API_AUTH=token, and both TLS files or neither', () => {
    expect(problem({ API_AUTH: 'token' })).toContain('API_TOKENS_FILE: required with API_AUTH=token');
    expect(problem({ GRPC_TLS_CERT_FILE: '/tls/cert.pem' })).toContain('GRPC_TLS_KEY_FILE: required');
    expect(
      readConfig({
        ...minimal,
        GRPC_HOST: '0.0.0.0',
        API_AUTH: 'token',
        API_TOKENS_FILE: '/etc/callctl/api/tokens',
      }).apiTokensFile,
    ).toBe('/etc/callctl/api/tokens');
  });
});
