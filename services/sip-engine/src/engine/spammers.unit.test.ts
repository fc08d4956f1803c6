import { parseMessage, type SipRequest } from '@callctl/sip';
import { DEFAULT_SPAMMER_USER_AGENTS, matchSpammer } from './spammers.js';

const request = (headers: { userAgent?: string; to?: string; from?: string }) =>
  parseMessage(
    Buffer.from(
      `OPTIONS sip:100@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:${headers.from ?? 'alice'}@192.0.2.1>;tag=1\r\n` +
        `To: <sip:${headers.to ?? '100'}@192.0.2.10>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n` +
        (headers.userAgent ? `User-Agent: ${headers.userAgent}\r\n` : '') +
        `Content-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;

const kamailioDefault = { userAgent: new RegExp(DEFAULT_SPAMMER_USER_AGENTS, 'i') };

describe('spammer check (drachtio spammers, Kamailio default user agents)', () => {
  it.each(['friendly-scanner', 'sipcli/v1.8', 'sipvicious', 'VaxSIPUserAgent/3.1', 'pplsip', 'SIPScanner'])(
    'recognises %s',
    (ua) => {
      expect(matchSpammer(request({ userAgent: ua }), 'udp', kamailioDefault)).toEqual({
        header: 'User-Agent',
        value: ua,
        action: 'discard',
      });
    },
  );

  it.each(['baresip v3.10.1 (x86_64/linux)', 'Linphone/5.2', 'sipp', 'drachtio'])('lets %s through', (ua) => {
    expect(matchSpammer(request({ userAgent: ua }), 'udp', kamailioDefault)).toBeUndefined();
  });

  it('lets a request without User-Agent through', () => {
    expect(matchSpammer(request({}), 'udp', kamailioDefault)).toBeUndefined();
  });

  it('matches the user of the To and From URIs', () => {
    const options = { to: /sipvicious/i, from: /^scan/i };
    expect(matchSpammer(request({ to: 'sipvicious' }), 'udp', options)).toMatchObject({
      header: 'To',
      value: 'sipvicious',
    });
    expect(matchSpammer(request({ from: 'scanner1' }), 'udp', options)).toMatchObject({ header: 'From' });
    expect(matchSpammer(request({ to: 'alice', from: 'bob' }), 'udp', options)).toBeUndefined();
  });

  it('takes tcp-action over TCP and action over UDP, as drachtio does', () => {
    const options = { ...kamailioDefault, action: 'reject' as const, tcpAction: 'discard' as const };
    const scanner = request({ userAgent: 'friendly-scanner' });
    expect(matchSpammer(scanner, 'udp', options)?.action).toBe('reject');
    expect(matchSpammer(scanner, 'tcp', options)?.action).toBe('discard');
    expect(matchSpammer(scanner, 'tcp', { ...kamailioDefault, action: 'reject' })?.action).toBe('reject');
  });
});
