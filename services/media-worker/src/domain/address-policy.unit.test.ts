import { parseUrlAllowList, refusalOf, refusedClassOf } from './address-policy.js';

describe('refusedClassOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:0a00:0001', 'private'],
    ['[::1]', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b:1::a00:1', 'private'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(refusedClassOf(address)).toBe(expected);
  });

  it.each([
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '8.8.8.8',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(refusedClassOf(address)).toBeUndefined();
  });
});

describe('refusalOf with MEDIA_URL_ALLOW', () => {
  const allow = parseUrlAllowList('127.0.0.1/32, 10.0.0.0/8,prompts.internal, fd00::/8');

  it('lets allowed ranges and host names through, and nothing else', () => {
    expect(refusalOf('localhost', '127.0.0.1', allow)).toBeUndefined();
    expect(refusalOf('x', '::ffff:127.0.0.1', allow)).toBeUndefined();
    expect(refusalOf('x', '127.0.0.2', allow)).toBe('loopback');
    expect(refusalOf('x', '10.9.9.9', allow)).toBeUndefined();
    expect(refusalOf('PROMPTS.internal', '192.168.0.5', allow)).toBeUndefined();
    expect(refusalOf('x', '192.168.0.5', allow)).toBe('private');
    expect(refusalOf('x', 'fd00::5', allow)).toBeUndefined();
    expect(refusalOf('x', '169.254.169.254', allow)).toBe('link-local');
  });

  it('refuses a malformed entry', () => {
    expect(() => parseUrlAllowList('10.0.0.0/33')).toThrow(/MEDIA_URL_ALLOW/);
    expect(() => parseUrlAllowList('http://x')).toThrow(/MEDIA_URL_ALLOW/);
  });
});
