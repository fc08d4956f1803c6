import { ConfigError } from '@callctl/config';
import { readConfig, readConfigWithDrain } from './config.js';

const base = { NATS_URL: 'nats://127.0.0.1:4222' };

describe('sip-edge config: CODECS', () => {
  it('defaults to the documented policy order', () => {
    expect(readConfig(base).CODECS.order).toEqual(['PCMU', 'PCMA', 'G722', 'opus', 'G729', 'GSM']);
  });

  it('takes an order of its own', () => {
    expect(readConfig({ ...base, CODECS: 'opus,pcma' }).CODECS.order).toEqual(['opus', 'PCMA']);
  });

  it('refuses an unknown codec at start, naming the variable and the codec', () => {
    const read = () => readConfig({ ...base, CODECS: 'PCMU,iLBC' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/CODECS: unknown codec iLBC/);
  });
});

describe('sip-edge config: drain', () => {
  it('ends calls at once by default, and bounds the shutdown by the closing alone', () => {
    const config = readConfigWithDrain(base);
    expect(config.SIP_EDGE_DRAIN_MAX_MS).toBe(0);
    expect(config.SHUTDOWN_DRAIN_MS).toBe(5000);
  });

  it("lets the shutdown last the calls' drain plus the closing", () => {
    const config = readConfigWithDrain({
      ...base,
      SIP_EDGE_DRAIN_MAX_MS: '3600000',
      SHUTDOWN_DRAIN_MS: '2000',
    });
    expect(config.SHUTDOWN_DRAIN_MS).toBe(3_602_000);
  });

  it('refuses a negative drain', () => {
    expect(() => readConfig({ ...base, SIP_EDGE_DRAIN_MAX_MS: '-1' })).toThrow(/SIP_EDGE_DRAIN_MAX_MS/);
  });
});

describe('sip-edge config: ADVERTISE_GRPC', () => {
  it('is unset by default (the service then announces 127.0.0.1 and its bound port)', () => {
    expect(readConfig(base).ADVERTISE_GRPC).toBeUndefined();
  });

  it('takes a pod address as it is', () => {
    expect(readConfig({ ...base, ADVERTISE_GRPC: '10.1.2.3:50052' }).ADVERTISE_GRPC).toBe('10.1.2.3:50052');
  });

  it('refuses an address without a port, naming the variable', () => {
    expect(() => readConfig({ ...base, ADVERTISE_GRPC: '10.1.2.3' })).toThrow(
      /ADVERTISE_GRPC: expected host:port/,
    );
  });
});

describe('sip-edge config: INBOUND_ALLOW_CIDRS', () => {
  it('is empty by default: only trunks and devices call in', () => {
    expect(readConfig(base).INBOUND_ALLOW_CIDRS).toBe('');
  });

  it('refuses a bad prefix at start, naming the variable', () => {
    expect(() => readConfig({ ...base, INBOUND_ALLOW_CIDRS: '127.0.0.1/32,10.0.0.0/33' })).toThrow(
      /INBOUND_ALLOW_CIDRS: .*10\.0\.0\.0\/33/,
    );
  });
});

describe('sip-edge config: SIP_TRUST_DOMAIN_CIDRS', () => {
  it('trusts nobody by default', () => {
    expect(readConfig(base).SIP_TRUST_DOMAIN_CIDRS).toEqual([]);
  });

  it('takes addresses and prefixes with optional ports, and refuses a bad entry at start', () => {
    expect(
      readConfig({ ...base, SIP_TRUST_DOMAIN_CIDRS: '10.0.0.0/8,127.0.0.1:5070' }).SIP_TRUST_DOMAIN_CIDRS,
    ).toHaveLength(2);
    expect(() => readConfig({ ...base, SIP_TRUST_DOMAIN_CIDRS: 'carrier.example' })).toThrow(
      /SIP_TRUST_DOMAIN_CIDRS: .*carrier\.example/,
    );
  });
});
