// The provisioning service's configuration: a bad secrets key stops the start with one line naming it,
// and the key never appears in what is logged.
import { randomBytes } from 'node:crypto';
import { loggableConfig, readConfig } from './config.js';

const base = {
  DATABASE_URL: 'postgres://callctl:db-secret@127.0.0.1:5432/callctl',
  NATS_URL: 'nats://127.0.0.1:4222',
  PROVISIONING_SECRETS_KEY: randomBytes(32).toString('base64'),
};

describe('provisioning configuration', () => {
  it('refuses a secrets key that is not 32 bytes of base64, without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => readConfig({ ...base, PROVISIONING_SECRETS_KEY: short })).toThrow(
      /PROVISIONING_SECRETS_KEY: expected 32 bytes of base64$/,
    );
    expect(() => readConfig({ ...base, PROVISIONING_SECRETS_KEY: undefined })).toThrow(
      /PROVISIONING_SECRETS_KEY: required/,
    );
  });

  it('logs neither the key nor the database password', () => {
    const logged = JSON.stringify(loggableConfig(readConfig(base)));
    expect(logged).not.toContain(base.PROVISIONING_SECRETS_KEY);
    expect(logged).not.toContain('db-secret');
    expect(logged).toContain('"GRPC_PORT":50059');
  });
});
