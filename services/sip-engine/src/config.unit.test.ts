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
});
