import { ConfigError } from '@callctl/config';
import fc from 'fast-check';
import { canonicalHost, formatAddress, matchPeer, parseAddress, parsePeers } from './peers.js';

describe('parsePeers', () => {
  it('reads names, hosts and ports, separated by whitespace or commas', () => {
    expect(parsePeers(' as1=10.0.0.5:5060, 10.0.0.6\n[::1]:7000 as-4=localhost,,fe80::A ')).toEqual([
      { name: 'as1', hosts: ['10.0.0.5'], port: 5060 },
      { name: '10.0.0.6', hosts: ['10.0.0.6'] },
      { name: '[::1]:7000', hosts: ['::1'], port: 7000 },
      { name: 'as-4', hosts: ['127.0.0.1', '::1'] },
      { name: 'fe80::A', hosts: ['fe80::a'] },
    ]);
  });

  it('is empty for an empty list (the IIF then accepts nobody)', () => {
    expect(parsePeers('')).toEqual([]);
    expect(parsePeers(' ,\n')).toEqual([]);
  });

  it.each([
    ['as.example.com', 'IP address or localhost'],
    ['10.0.0.5:0', 'port'],
    ['10.0.0.5:65536', 'port'],
    ['10.0.0.5:50x', 'port'],
    ['[::1]:', 'port'],
    ['bad name=10.0.0.5', 'IP address'],
    ['b@d=10.0.0.5', 'name'],
    ['=10.0.0.5', 'name'],
    ['as1=', 'IP address'],
    ['300.1.1.1', 'IP address'],
  ])('throws a ConfigError naming CALLBACK_IIF_PEERS for %j', (entry, problem) => {
    let error: unknown;
    try {
      parsePeers(`10.0.0.1 ${entry}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]?.variable).toBe('CALLBACK_IIF_PEERS');
    expect(issues[0]?.problem).toContain(problem);
  });
});

describe('matchPeer', () => {
  const peers = parsePeers('fixed=127.0.0.1:5000 any=10.0.0.7 local=localhost v6=2001:db8::1');

  it('matches host and port, or any port of a host listed without one; first entry wins', () => {
    expect(matchPeer(peers, { host: '127.0.0.1', port: 5000 })?.name).toBe('fixed');
    expect(matchPeer(peers, { host: '127.0.0.1', port: 5001 })?.name).toBe('local');
    expect(matchPeer(peers, { host: '10.0.0.7', port: 1 })?.name).toBe('any');
    expect(matchPeer(peers, { host: '10.0.0.8', port: 1 })).toBeUndefined();
  });

  it('compares addresses in one spelling (IPv4-mapped, IPv6 zeros and case)', () => {
    expect(matchPeer(peers, { host: '::ffff:10.0.0.7', port: 9 })?.name).toBe('any');
    expect(matchPeer(peers, { host: '::1', port: 9 })?.name).toBe('local');
    expect(matchPeer(peers, { host: '2001:DB8:0:0::1', port: 9 })?.name).toBe('v6');
  });
});

describe('addresses', () => {
  it('canonicalHost spells each address one way', () => {
    expect(canonicalHost('::FFFF:7F00:1')).toBe('127.0.0.1');
    expect(canonicalHost('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalHost('10.1.2.3')).toBe('10.1.2.3');
  });

  it('parseAddress reads back formatAddress', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
    const v6 = fc.ipV6();
    fc.assert(
      fc.property(fc.oneof(v4, v6), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const address = { host: canonicalHost(host), port };
        expect(parseAddress(formatAddress(address))).toEqual(address);
      }),
    );
  });

  it('parseAddress refuses what is not host:port', () => {
    expect(parseAddress('127.0.0.1')).toBeUndefined();
    expect(parseAddress('localhost:5080')).toBeUndefined();
    expect(parseAddress('::1')).toBeUndefined();
    expect(parseAddress('[::1]:5080')).toEqual({ host: '::1', port: 5080 });
  });
});
