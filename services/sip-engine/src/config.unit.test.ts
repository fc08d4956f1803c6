import { readConfig } from './config.js';

describe('sip-engine config', () => {
  it('reads listener lists and timer defaults', () => {
    const config = readConfig({ SIP_UDP: '127.0.0.1:5070, [::1]:5071', ADMIN: '127.0.0.1:9999' });
    expect(config.SIP_UDP).toEqual([
      { host: '127.0.0.1', port: 5070 },
      { host: '::1', port: 5071 },
    ]);
    expect(config.ADMIN).toMatchObject({ host: '127.0.0.1', port: 9999 });
    expect(config.SIP_T1_MS).toBe(500);
  });

  it('rejects a listener that is not host:port', () => {
    expect(() => readConfig({ SIP_TCP: 'nonsense' })).toThrow();
  });

  it('reads the flood limits, with documented defaults', () => {
    expect(readConfig({})).toMatchObject({
      SIP_MAX_SERVER_TRANSACTIONS: 50_000,
      SIP_MAX_PENDING_REQUESTS: 10_000,
      SIP_MAX_DIALOGS: 50_000,
      SIP_RETRY_AFTER_S: 5,
      SIP_MALFORMED_LOG_INTERVAL_MS: 10_000,
      SIP_TCP_MESSAGE_TIMEOUT_MS: 10_000,
      SIP_TCP_IDLE_TIMEOUT_MS: 120_000,
      SIP_TCP_MAX_CONNECTIONS_PER_IP: 100,
    });
    expect(readConfig({ SIP_MAX_PENDING_REQUESTS: '7', SIP_TCP_MESSAGE_TIMEOUT_MS: '2500' })).toMatchObject({
      SIP_MAX_PENDING_REQUESTS: 7,
      SIP_TCP_MESSAGE_TIMEOUT_MS: 2500,
    });
  });

  it('rejects a cap of 0', () => {
    expect(() => readConfig({ SIP_TCP_MAX_CONNECTIONS_PER_IP: '0' })).toThrow();
  });
});
