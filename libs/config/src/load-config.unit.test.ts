import { z } from 'zod';
import { ConfigError, env, loadConfig } from './index.js';

const shape = {
  GRPC_PORT: env.port(50051),
  NATS_URL: env.url(['nats']),
  RTPENGINE_NG: env.hostPort('127.0.0.1:22222'),
  API_SECRET: z.string().min(16),
};

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig('svc', shape, {
      NATS_URL: 'nats://127.0.0.1:4222',
      API_SECRET: 'x'.repeat(16),
    });
    expect(config.GRPC_PORT).toBe(50051);
    expect(config.RTPENGINE_NG).toEqual({ host: '127.0.0.1', port: 22222 });
  });

  it('names every bad variable in one message', () => {
    const attempt = () =>
      loadConfig('svc', shape, { GRPC_PORT: 'abc', NATS_URL: 'http://x', API_SECRET: 'short' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const e = error as ConfigError;
      expect(e.issues.map((i) => i.variable).sort()).toEqual(['API_SECRET', 'GRPC_PORT', 'NATS_URL']);
      expect(e.message).toContain('GRPC_PORT: expected a port number (got "abc")');
      expect(e.message).toContain('NATS_URL: expected a URL (nats://)');
      expect(e.message).not.toContain('short');
      expect(e.message).not.toContain('\n');
    }
  });

  it('reports a missing required variable as required', () => {
    expect(() => loadConfig('svc', shape, { API_SECRET: 'x'.repeat(16) })).toThrow('NATS_URL: required');
  });

  it('parses IPv6 host:port', () => {
    const config = loadConfig('svc', shape, {
      NATS_URL: 'nats://[::1]:4222',
      API_SECRET: 'x'.repeat(16),
      RTPENGINE_NG: '[::1]:2223',
    });
    expect(config.RTPENGINE_NG).toEqual({ host: '::1', port: 2223 });
  });
});
