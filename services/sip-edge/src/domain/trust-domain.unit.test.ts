import { isTrusted, nextHopOf, parseTrustDomain } from './trust-domain.js';

describe('trust domain (SIP_TRUST_DOMAIN_CIDRS)', () => {
  const domain = parseTrustDomain('10.0.0.0/8, 192.0.2.7:5070, [2001:db8::1]:5080, 2001:db8:1::/48');

  it('trusts addresses inside a prefix on any port, and an entry with a port on that port only', () => {
    expect(isTrusted(domain, '10.1.2.3', 5060)).toBe(true);
    expect(isTrusted(domain, '10.1.2.3')).toBe(true);
    expect(isTrusted(domain, '192.0.2.7', 5070)).toBe(true);
    expect(isTrusted(domain, '192.0.2.7', 5060)).toBe(false);
    expect(isTrusted(domain, '192.0.2.7')).toBe(false);
    expect(isTrusted(domain, '2001:db8::1', 5080)).toBe(true);
    expect(isTrusted(domain, '2001:db8:1::99', 5060)).toBe(true);
    expect(isTrusted(domain, '11.0.0.1', 5060)).toBe(false);
  });

  it('is empty by default, and refuses a bad address or port naming the entry', () => {
    expect(parseTrustDomain('')).toEqual([]);
    expect(isTrusted(parseTrustDomain(''), '127.0.0.1', 5060)).toBe(false);
    expect(() => parseTrustDomain('10.0.0.0/8, carrier.example')).toThrow(/carrier\.example/);
    expect(() => parseTrustDomain('192.0.2.7:70000')).toThrow(/192\.0\.2\.7:70000.*port/);
  });

  it("finds a request's next hop from its URI: an IP host with its port or the transport's default", () => {
    expect(nextHopOf('sip:+4420@192.0.2.7:5070;transport=udp')).toEqual({ address: '192.0.2.7', port: 5070 });
    expect(nextHopOf('sip:bob@192.0.2.7')).toEqual({ address: '192.0.2.7', port: 5060 });
    expect(nextHopOf('sips:bob@192.0.2.7')).toEqual({ address: '192.0.2.7', port: 5061 });
    expect(nextHopOf('sip:bob@192.0.2.7;transport=tls')).toEqual({ address: '192.0.2.7', port: 5061 });
    expect(nextHopOf('sip:bob@[2001:db8::1]:5080')).toEqual({ address: '2001:db8::1', port: 5080 });
    expect(nextHopOf('sip:bob@carrier.example')).toBeUndefined();
    expect(nextHopOf('not a uri')).toBeUndefined();
  });
});
