// The Callback port reads the public API's security variables as CallControl's port does (libs/config
// public-api-env): same names, same refusals.
import { ConfigError } from '@callctl/config';
import { readConfig } from '../../config.js';

const minimal = {
  DATABASE_URL: 'postgres://u@127.0.0.1/callctl_callback',
  NATS_URL: 'nats://127.0.0.1:4222',
};

const problem = (environment: Record<string, string>) => {
  try {
    readConfig({ ...minimal, ...environment });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('callback config: the public port', () => {
  it('serves plain and without credentials on loopback by default', () => {
    expect(readConfig(minimal)).toMatchObject({
      GRPC_PORT: 50057,
      API_AUTH: 'none',
      publicTls: undefined,
      apiTokensFile: undefined,
    });
  });

  it('takes TLS files and API_AUTH=token with its file', () => {
    expect(
      readConfig({
        ...minimal,
        GRPC_HOST: '0.0.0.0',
        GRPC_TLS_CERT_FILE: '/tls/cert.pem',
        GRPC_TLS_KEY_FILE: '/tls/key.pem',
        API_AUTH: 'token',
        API_TOKENS_FILE: '/etc/callctl/api/tokens',
      }),
    ).toMatchObject({
      publicTls: { certFile: '/tls/cert.pem', keyFile: '/tls/key.pem' },
      apiTokensFile: '/etc/callctl/api/tokens',
    });
  });

  it('refuses what the orchestrator refuses, naming the variable', () => {
    expect(problem({ API_AUTH: 'token' })).toContain('API_TOKENS_FILE: required with API_AUTH=token');
    expect(problem({ GRPC_TLS_CERT_FILE: '/tls/cert.pem' })).toContain('GRPC_TLS_KEY_FILE: required');
    expect(problem({ GRPC_HOST: '0.0.0.0' })).toContain('API_AUTH: none would serve the API to anyone');
    expect(problem({ GRPC_HOST: '0.0.0.0', API_ALLOW_UNAUTHENTICATED: 'true' })).toBe('accepted');
  });
});
