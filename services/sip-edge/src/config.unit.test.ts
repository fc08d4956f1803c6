import { ConfigError } from '@callctl/config';
import { readConfig } from './config.js';

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
