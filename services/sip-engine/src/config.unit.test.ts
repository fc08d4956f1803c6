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

  it('defaults the screening to Kamailio and drachtio: scanners discarded, 16 requests per 2 s, 300 s ban', () => {
    const config = readConfig({});
    expect(config.SIP_SPAMMERS_USER_AGENT?.test('friendly-scanner')).toBe(true);
    expect(config.SIP_SPAMMERS_USER_AGENT?.test('VAXSIPUSERAGENT')).toBe(true);
    expect(config.SIP_SPAMMERS_TCP_ACTION).toBeUndefined();
    expect(config).toMatchObject({
      SIP_SPAMMERS_TO: undefined,
      SIP_SPAMMERS_ACTION: 'discard',
      SIP_FLOOD_SAMPLE_MS: 2000,
      SIP_FLOOD_MAX_REQUESTS: 16,
      SIP_FLOOD_BAN_MS: 300_000,
      SIP_FLOOD_EXEMPT_CIDRS: [],
    });
  });

  it('reads the screening settings', () => {
    const config = readConfig({
      SIP_SPAMMERS_USER_AGENT: '',
      SIP_SPAMMERS_TO: 'sipvicious',
      SIP_SPAMMERS_ACTION: 'reject',
      SIP_SPAMMERS_TCP_ACTION: 'discard',
      SIP_FLOOD_MAX_REQUESTS: '0',
      SIP_FLOOD_EXEMPT_CIDRS: '127.0.0.1/32, 10.0.0.0/8',
    });
    expect(config.SIP_SPAMMERS_USER_AGENT).toBeUndefined();
    expect(config.SIP_SPAMMERS_TO?.test('SIPVicious')).toBe(true);
    expect(config).toMatchObject({
      SIP_SPAMMERS_ACTION: 'reject',
      SIP_SPAMMERS_TCP_ACTION: 'discard',
      SIP_FLOOD_MAX_REQUESTS: 0,
    });
    expect(config.SIP_FLOOD_EXEMPT_CIDRS.map((c) => `${c.address}/${c.prefix}`)).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
    ]);
  });

  it('rejects a bad regex, action or CIDR', () => {
    expect(() => readConfig({ SIP_SPAMMERS_USER_AGENT: '(' })).toThrow();
    expect(() => readConfig({ SIP_SPAMMERS_ACTION: 'block' })).toThrow();
    expect(() => readConfig({ SIP_FLOOD_EXEMPT_CIDRS: '10.0.0.300/8' })).toThrow(/not an IP address or CIDR/);
  });
});
