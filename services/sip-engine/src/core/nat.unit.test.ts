import { behindNat, isRfc1918 } from './nat.js';

const source = { address: '203.0.113.7', port: 41234 };

describe('NAT detection for a new dialog (drachtio rules)', () => {
  describe('their INVITE (uas)', () => {
    const uas = { role: 'uas' as const, method: 'INVITE', source, routeSet: [] };
    it('is NAT when the Contact host is not the source', () => {
      expect(behindNat({ ...uas, contact: 'sip:alice@192.168.1.10:5060' })).toBe(true);
    });
    it('is NAT when only the Contact port differs from the source port', () => {
      expect(behindNat({ ...uas, contact: 'sip:alice@203.0.113.7:5060' })).toBe(true);
    });
    it('is not NAT when the Contact is the source', () => {
      expect(behindNat({ ...uas, contact: 'sip:alice@203.0.113.7:41234' })).toBe(false);
    });
    it('is not NAT with a Contact host only, matching the source', () => {
      expect(behindNat({ ...uas, contact: 'sip:alice@203.0.113.7' })).toBe(false);
    });
    it('is not NAT when a proxy record-routed (the proxy handles it)', () => {
      expect(
        behindNat({ ...uas, routeSet: ['<sip:198.51.100.1;lr>'], contact: 'sip:alice@192.168.1.10' }),
      ).toBe(false);
    });
    it('is not NAT without a Contact', () => {
      expect(behindNat({ ...uas, contact: undefined })).toBe(false);
    });
  });

  describe('their 2xx to our INVITE (uac)', () => {
    const uac = { role: 'uac' as const, method: 'INVITE', source, routeSet: [] };
    it('is NAT when the Contact host is not the source address', () => {
      expect(behindNat({ ...uac, contact: 'sip:alice@10.0.0.5:5060' })).toBe(true);
    });
    it('compares hosts only: a Contact port other than the source port is not NAT', () => {
      expect(behindNat({ ...uac, contact: 'sip:alice@203.0.113.7:5060' })).toBe(false);
    });
    it('is NAT when the first route is an RFC 1918 address', () => {
      expect(behindNat({ ...uac, routeSet: ['<sip:172.16.4.4;lr>'], contact: 'sip:alice@203.0.113.9' })).toBe(
        true,
      );
    });
    it('is not NAT behind a public record-routing proxy', () => {
      expect(behindNat({ ...uac, routeSet: ['<sip:198.51.100.1;lr>'], contact: 'sip:alice@10.0.0.5' })).toBe(
        false,
      );
    });
    it('applies the Contact rule to INVITE only (a SUBSCRIBE keeps its Contact)', () => {
      expect(behindNat({ ...uac, method: 'SUBSCRIBE', contact: 'sip:alice@10.0.0.5' })).toBe(false);
    });
  });

  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['192.169.0.1', false],
    ['127.0.0.1', false],
    ['fd00::1', false],
    ['pbx.example.com', false],
  ])('isRfc1918(%s) is %s', (host, expected) => {
    expect(isRfc1918(host)).toBe(expected);
  });
});
