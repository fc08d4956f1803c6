import { isCallctlError } from '@callctl/errors';
import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { cidrContains, formatCidr, longestMatch, parseAddressBytes, parseCidr } from './cidr';

// A naive reference: the address and the network as strings of bits, compared on the first `prefix`.
function bitsOfV4(address: number[]): string {
  return address.map((b) => b.toString(2).padStart(8, '0')).join('');
}
function bitsOfV6(groups: number[]): string {
  return groups.map((g) => g.toString(2).padStart(16, '0')).join('');
}
const v4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
// Full, uncompressed spelling with random case and leading zeros: the parser must see through both.
const spellV6 = (groups: number[]) =>
  groups.map((g) => g.toString(16).toUpperCase().padStart(4, '0')).join(':');

describe('parseCidr', () => {
  it('reads a v4 prefix and zeroes its host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, address: '10.0.0.0', prefix: 8 });
    expect(formatCidr(parseCidr('192.168.7.200/22'))).toBe('192.168.4.0/22');
  });

  it('takes an address alone as a host prefix (/32 or /128)', () => {
    expect(formatCidr(parseCidr('192.0.2.7'))).toBe('192.0.2.7/32');
    expect(formatCidr(parseCidr('::1'))).toBe('::1/128');
    expect(formatCidr(parseCidr(' 127.0.0.1/32 '))).toBe('127.0.0.1/32');
  });

  it('writes v6 in RFC 5952 form (lower case, the longest zero run as ::)', () => {
    expect(formatCidr(parseCidr('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1/128');
    expect(formatCidr(parseCidr('2001:0db8:85a3::8a2e:0370:7334/32'))).toBe('2001:db8::/32');
    expect(formatCidr(parseCidr('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1/128');
    expect(formatCidr(parseCidr('::/0'))).toBe('::/0');
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
  });

  it('reads v6 with an embedded v4 tail as a v6 prefix', () => {
    expect(parseCidr('::ffff:0:0/96')).toEqual({ family: 6, address: '::ffff:0:0', prefix: 96 });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ family: 6, address: '::ffff:a00:0', prefix: 104 });
    expect(parseCidr('64:ff9b::192.0.2.33')).toEqual({
      family: 6,
      address: '64:ff9b::c000:221',
      prefix: 128,
    });
  });

  it.each([
    '',
    'example.com',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0.0',
    '256.0.0.1',
    '010.0.0.1',
    '::/129',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    'fe80::1%eth0',
    '12345::',
    '::ffff:1.2.3',
  ])('refuses %j with a ValidationError naming it', (text) => {
    let thrown: unknown;
    try {
      parseCidr(text);
    } catch (error) {
      thrown = error;
    }
    expect(isCallctlError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ kind: 'invalid_argument', code: 'VALIDATION', context: { cidr: text } });
  });

  it('formats what it parses back to the same prefix (v6, any spelling node accepts)', () => {
    fc.assert(
      fc.property(v6, fc.integer({ min: 0, max: 128 }), (groups, prefix) => {
        const cidr = parseCidr(`${spellV6(groups)}/${prefix}`);
        expect(isIPv6(cidr.address)).toBe(true);
        expect(parseCidr(formatCidr(cidr))).toEqual(cidr);
      }),
    );
  });
});

describe('cidrContains', () => {
  it('matches v4 addresses by prefix', () => {
    const net = parseCidr('192.0.2.0/25');
    expect(cidrContains(net, '192.0.2.0')).toBe(true);
    expect(cidrContains(net, '192.0.2.127')).toBe(true);
    expect(cidrContains(net, '192.0.2.128')).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '203.0.113.9')).toBe(true);
  });

  it('matches a v4-mapped v6 address against a v4 prefix, and a v4 address against a mapped v6 prefix', () => {
    expect(cidrContains(parseCidr('127.0.0.1/32'), '::ffff:127.0.0.1')).toBe(true);
    expect(cidrContains(parseCidr('127.0.0.1/32'), '::FFFF:7f00:1')).toBe(true);
    expect(cidrContains(parseCidr('::ffff:0:0/96'), '198.51.100.1')).toBe(true);
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '10.200.0.1')).toBe(true);
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '11.0.0.1')).toBe(false);
  });

  it('keeps families apart otherwise', () => {
    expect(cidrContains(parseCidr('::/0'), '::1')).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '::1')).toBe(false);
    expect(cidrContains(parseCidr('::1/128'), '127.0.0.1')).toBe(false);
  });

  it('accepts a bracketed v6 address and says no to anything that is not an address', () => {
    expect(cidrContains(parseCidr('2001:db8::/32'), '[2001:db8::5]')).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), 'example.com')).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '')).toBe(false);
  });

  it('works on a Cidr built by hand (as JSON carries it)', () => {
    expect(cidrContains({ family: 4, address: '10.0.0.0', prefix: 8 }, '10.9.9.9')).toBe(true);
    expect(cidrContains({ family: 6, address: '2001:db8::', prefix: 32 }, '2001:db9::1')).toBe(false);
  });

  it('agrees with a naive bit comparison for v4', () => {
    fc.assert(
      fc.property(v4, v4, fc.integer({ min: 0, max: 32 }), (network, address, prefix) => {
        const expected = bitsOfV4(network).slice(0, prefix) === bitsOfV4(address).slice(0, prefix);
        expect(cidrContains(parseCidr(`${network.join('.')}/${prefix}`), address.join('.'))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with a naive bit comparison for v6', () => {
    fc.assert(
      fc.property(v6, v6, fc.integer({ min: 0, max: 128 }), (network, address, prefix) => {
        const expected = bitsOfV6(network).slice(0, prefix) === bitsOfV6(address).slice(0, prefix);
        expect(cidrContains(parseCidr(`${spellV6(network)}/${prefix}`), spellV6(address))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with the naive comparison when the address shares the network bits up to a random point', () => {
    // Random pairs rarely share long prefixes; this makes the boundary bit the interesting one.
    fc.assert(
      fc.property(
        v4,
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 32 }),
        (network, prefix, flip) => {
          const bits = bitsOfV4(network).split('');
          if (flip < 32) bits[flip] = bits[flip] === '0' ? '1' : '0';
          const address = [0, 8, 16, 24].map((i) => parseInt(bits.slice(i, i + 8).join(''), 2));
          expect(cidrContains(parseCidr(`${network.join('.')}/${prefix}`), address.join('.'))).toBe(
            flip >= prefix,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('longestMatch', () => {
  const entries = [
    { name: 'any', cidr: parseCidr('0.0.0.0/0') },
    { name: 'carrier', cidr: parseCidr('203.0.113.0/24') },
    { name: 'carrier-sbc', cidr: parseCidr('203.0.113.8/29') },
    { name: 'carrier-sbc-again', cidr: parseCidr('203.0.113.8/29') },
    { name: 'v6', cidr: parseCidr('2001:db8::/32') },
  ];

  it('picks the most specific prefix containing the address', () => {
    expect(longestMatch(entries, '203.0.113.9')?.name).toBe('carrier-sbc');
    expect(longestMatch(entries, '203.0.113.99')?.name).toBe('carrier');
    expect(longestMatch(entries, '198.51.100.1')?.name).toBe('any');
    expect(longestMatch(entries, '::ffff:203.0.113.10')?.name).toBe('carrier-sbc');
    expect(longestMatch(entries, '2001:db8::1')?.name).toBe('v6');
  });

  it('finds nothing for an address no prefix holds, or for no address', () => {
    expect(longestMatch(entries.slice(1), '198.51.100.1')).toBeUndefined();
    expect(longestMatch(entries, '2001:db9::1')).toBeUndefined();
    expect(longestMatch(entries, 'not-an-ip')).toBeUndefined();
    expect(longestMatch([], '127.0.0.1')).toBeUndefined();
  });
});

describe('parseAddressBytes', () => {
  it('unmaps v4-mapped addresses unless told not to', () => {
    expect(Array.from(parseAddressBytes('::ffff:127.0.0.1')!)).toEqual([127, 0, 0, 1]);
    expect(parseAddressBytes('::ffff:127.0.0.1', false)).toHaveLength(16);
  });
});
