import { contactUriOf, listenAddressesOf } from './engine-connection.js';

describe('the engine announcement', () => {
  const announced = 'udp/127.0.0.1:5060, tcp/127.0.0.1:5062,tls/[2001:db8::1]:5061';

  it('lists every SIP listener with its transport, for carriers to allowlist', () => {
    expect(listenAddressesOf(announced)).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '127.0.0.1', port: 5062 },
      { transport: 'tls', host: '2001:db8::1', port: 5061 },
    ]);
  });

  it('leaves out entries without a port, and an empty announcement lists nothing', () => {
    expect(listenAddressesOf('udp/127.0.0.1,garbage')).toEqual([]);
    expect(listenAddressesOf('')).toEqual([]);
  });

  it('gives the contact URI of a transport', () => {
    expect(contactUriOf(announced, 'tcp')).toBe('sip:127.0.0.1:5062;transport=tcp');
    const withWebSockets = `${announced},ws/127.0.0.1:5066,wss/127.0.0.1:8443`;
    expect(contactUriOf(withWebSockets, 'ws')).toBe('sip:127.0.0.1:5066;transport=ws');
    expect(contactUriOf(withWebSockets, 'wss')).toBe('sip:127.0.0.1:8443;transport=wss');
    expect(contactUriOf(announced, 'ws')).toBeUndefined();
  });
});
