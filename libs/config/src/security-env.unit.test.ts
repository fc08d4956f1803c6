import { ConfigError } from './load-config.js';
import { internalTlsOf, natsSecurityOf, securityOf } from './security-env.js';

const problems = (attempt: () => unknown) => {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.variable}: ${i.problem}`);
    throw error;
  }
  throw new Error('accepted');
};

describe('NATS security variables', () => {
  it('are anonymous and plain when none is set', () => {
    expect(natsSecurityOf('svc', {})).toEqual({});
  });

  it('take a user with a password, and TLS with a client certificate', () => {
    expect(
      natsSecurityOf('svc', {
        NATS_USER: 'u',
        NATS_PASSWORD: 'p',
        NATS_TLS_CA_FILE: '/ca.pem',
        NATS_TLS_CERT_FILE: '/c.pem',
        NATS_TLS_KEY_FILE: '/k.pem',
      }),
    ).toEqual({
      user: 'u',
      password: 'p',
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
  });

  it('name what is missing from a half-given set', () => {
    expect(problems(() => natsSecurityOf('svc', { NATS_USER: 'u' }))).toEqual([
      'NATS_PASSWORD: required with NATS_USER (both or neither)',
    ]);
    expect(
      problems(() => natsSecurityOf('svc', { NATS_TLS_CERT_FILE: '/c.pem', NATS_TLS_KEY_FILE: '/k.pem' })),
    ).toEqual(['NATS_TLS_CA_FILE: required with NATS_TLS_CERT_FILE (a client certificate needs the CA)']);
  });

  it('refuse a user and an nkey together', () => {
    expect(
      problems(() =>
        natsSecurityOf('svc', { NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_NKEY_SEED_FILE: '/seed' }),
      ),
    ).toEqual(['NATS_NKEY_SEED_FILE: give NATS_USER/NATS_PASSWORD or an nkey, not both']);
  });
});

describe('internal TLS variables', () => {
  it('are all three or none', () => {
    expect(internalTlsOf('svc', {})).toBeUndefined();
    expect(
      internalTlsOf('svc', {
        INTERNAL_TLS_CA_FILE: '/a',
        INTERNAL_TLS_CERT_FILE: '/b',
        INTERNAL_TLS_KEY_FILE: '/c',
      }),
    ).toEqual({ caFile: '/a', certFile: '/b', keyFile: '/c' });
    expect(problems(() => securityOf('svc', { INTERNAL_TLS_CERT_FILE: '/b' }))).toEqual([
      'INTERNAL_TLS_CA_FILE: required with INTERNAL_TLS_CERT_FILE (all three or none)',
      'INTERNAL_TLS_KEY_FILE: required with INTERNAL_TLS_CERT_FILE (all three or none)',
    ]);
  });
});
