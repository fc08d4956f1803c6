// The media addresses the worker announces for GetMediaResources, from its configuration.
import { ConfigError } from '@callctl/config';
import { readConfig } from './config.js';

const base = { NATS_URL: 'nats://127.0.0.1:4222' };

describe('media-worker configuration: what carriers allowlist', () => {
  it("announces nothing unless rtpengine's advertised address is given", () => {
    expect(readConfig(base).RTPENGINE_ADVERTISED_ADDRESS).toBeUndefined();
    const config = readConfig({
      ...base,
      RTPENGINE_ADVERTISED_ADDRESS: '203.0.113.7',
      RTPENGINE_PORT_MIN: '40000',
      RTPENGINE_PORT_MAX: '44999',
    });
    expect([
      config.RTPENGINE_ADVERTISED_ADDRESS,
      config.RTPENGINE_PORT_MIN,
      config.RTPENGINE_PORT_MAX,
    ]).toEqual(['203.0.113.7', 40000, 44999]);
  });

  it('refuses a port range upside down, naming the variable', () => {
    expect(() => readConfig({ ...base, RTPENGINE_PORT_MIN: '50000', RTPENGINE_PORT_MAX: '40000' })).toThrow(
      ConfigError,
    );
    expect(() => readConfig({ ...base, RTPENGINE_PORT_MIN: '50000', RTPENGINE_PORT_MAX: '40000' })).toThrow(
      /RTPENGINE_PORT_MIN: must not be above RTPENGINE_PORT_MAX/,
    );
  });
});
