import { loggableConfig, readConfig } from './config';

describe('mixer config', () => {
  it('has working defaults: gRPC on 50070, RTP on 127.0.0.1 ports 46000-46999, not announced', () => {
    const config = readConfig({});
    expect(config.NATS_URL).toBeUndefined();
    expect(config).toMatchObject({
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: 50070,
      MIXER_RTP_HOST: '127.0.0.1',
      MIXER_RTP_PORT_MIN: 46000,
      MIXER_RTP_PORT_MAX: 46999,
      MIXER_INSTANCE: 'mixer',
    });
  });

  it('takes 0 and 0 for ports the OS picks', () => {
    expect(readConfig({ MIXER_RTP_PORT_MIN: '0', MIXER_RTP_PORT_MAX: '0' }).MIXER_RTP_PORT_MIN).toBe(0);
  });

  it.each([
    [{ MIXER_RTP_PORT_MIN: '47000', MIXER_RTP_PORT_MAX: '46000' }, /MIXER_RTP_PORT_MAX/],
    [{ MIXER_RTP_PORT_MIN: '0', MIXER_RTP_PORT_MAX: '46000' }, /both 0 or neither/],
    [{ MIXER_INSTANCE: 'a b' }, /MIXER_INSTANCE/],
    [{ MIXER_RTP_PORT_MAX: '70000' }, /MIXER_RTP_PORT_MAX/],
  ])('refuses %j naming the variable', (environment, message) => {
    expect(() => readConfig(environment)).toThrow(message);
  });

  it('never shows the NATS password when logged', () => {
    const config = readConfig({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_USER: 'u',
      NATS_PASSWORD: 'hunter2-secret',
    });
    expect(JSON.stringify(loggableConfig(config))).not.toContain('hunter2-secret');
  });
});
