// Which network addresses a prompt URL may be downloaded from (SSRF defence). Pure: the adapter resolves the
// host and asks here about each address before it connects to exactly that address.

/** Why an address is refused by default. */
export type AddressClass =
  'loopback' | 'private' | 'carrier-grade NAT' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

interface Range {
  /** Network address as a 128-bit number (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d). */
  base: bigint;
  bits: number;
}

const V4_MAPPED = 0xffffn << 32n;

/** Parses an IPv4 or IPv6 literal into a 128-bit number (IPv4 as mapped); undefined if it is not one. */
export function parseIp(text: string): bigint | undefined {
  const ip = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseV4(ip);
  if (v4 !== undefined) return V4_MAPPED | v4;
  return parseV6(ip);
}

function parseV4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseV6(ip: string): bigint | undefined {
  const zoneless = ip.split('%')[0] ?? '';
  if (!/^[0-9a-fA-F:.]+$/.test(zoneless) || !zoneless.includes(':')) return undefined;
  let groups: string[];
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const lastColon = zoneless.lastIndexOf(':');
  const tail = zoneless.slice(lastColon + 1);
  let head = zoneless;
  let tailGroups: string[] = [];
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    if (v4 === undefined) return undefined;
    tailGroups = [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    head = zoneless.slice(0, lastColon + 1) + '0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (tailGroups.length) (halves.length === 2 ? right : left).splice(-1, 1, ...tailGroups);
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else groups = left;
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address is /32 or /128); undefined if it is not a CIDR. */
export function parseCidr(text: string): Range | undefined {
  const [address, prefix, extra] = text.trim().split('/');
  if (address === undefined || extra !== undefined) return undefined;
  const base = parseIp(address);
  if (base === undefined) return undefined;
  const isV4 = parseV4(address) !== undefined;
  const bits = prefix === undefined ? (isV4 ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (isV4 ? 32 : 128) || !/^\d*$/.test(prefix ?? ''))
    return undefined;
  return { base, bits: isV4 ? bits + 96 : bits };
}

function contains(range: Range, ip: bigint): boolean {
  const shift = BigInt(128 - range.bits);
  return ip >> shift === range.base >> shift;
}

function builtIn(cidr: string): Range {
  const range = parseCidr(cidr);
  if (!range) throw new Error(`bad built-in range ${cidr}`);
  return range;
}

/** Refused by default, first match wins. IPv4 ranges also match their IPv4-mapped IPv6 forms. */
const REFUSED: ReadonlyArray<[Range, AddressClass]> = [
  [builtIn('0.0.0.0/8'), 'unspecified'],
  [builtIn('127.0.0.0/8'), 'loopback'],
  [builtIn('10.0.0.0/8'), 'private'],
  [builtIn('172.16.0.0/12'), 'private'],
  [builtIn('192.168.0.0/16'), 'private'],
  [builtIn('100.64.0.0/10'), 'carrier-grade NAT'],
  [builtIn('169.254.0.0/16'), 'link-local'],
  [builtIn('224.0.0.0/4'), 'multicast'],
  [builtIn('240.0.0.0/4'), 'reserved'],
  [builtIn('::/128'), 'unspecified'],
  [builtIn('::1/128'), 'loopback'],
  [builtIn('fc00::/7'), 'private'],
  [builtIn('fe80::/10'), 'link-local'],
  [builtIn('ff00::/8'), 'multicast'],
];

/**
 * The class an address is refused for by default, or undefined for a public address. IPv4-mapped
 * (::ffff:a.b.c.d) addresses are judged as their IPv4 address; an unparsable address is 'reserved'.
 */
export function refusedClassOf(address: string): AddressClass | undefined {
  const parsed = parseIp(address);
  if (parsed === undefined) return 'reserved';
  const ip = embeddedV4(parsed) ?? parsed;
  return REFUSED.find(([range]) => contains(range, ip))?.[1];
}

/**
 * IPv6 forms that carry an IPv4 address a translator or tunnel delivers to (NAT64 64:ff9b::/96 and
 * 64:ff9b:1::/48, IPv4-translated ::ffff:0:0/96, IPv4-compatible ::/96, 6to4 2002::/16): judged as that
 * IPv4 address, as IPv4-mapped ones are, so [64:ff9b::a9fe:a9fe] is the metadata address it reaches.
 */
const EMBEDDING: ReadonlyArray<[Range, (ip: bigint) => bigint]> = [
  [builtIn('64:ff9b::/96'), (ip) => ip & 0xffffffffn],
  [builtIn('64:ff9b:1::/48'), (ip) => ip & 0xffffffffn],
  [builtIn('::ffff:0:0:0/96'), (ip) => ip & 0xffffffffn],
  [builtIn('2002::/16'), (ip) => (ip >> 80n) & 0xffffffffn],
];
const V4_COMPATIBLE = builtIn('::/96');

function embeddedV4(ip: bigint): bigint | undefined {
  // ::/96 also holds :: and ::1, which keep their own classes.
  if (contains(V4_COMPATIBLE, ip) && ip > 1n) return V4_MAPPED | (ip & 0xffffffffn);
  const form = EMBEDDING.find(([range]) => contains(range, ip));
  return form ? V4_MAPPED | form[1](ip) : undefined;
}

/** What MEDIA_URL_ALLOW lets through in spite of the classes above. */
export interface UrlAllowList {
  ranges: Range[];
  /** Lower-case host names, allowed whatever they resolve to. */
  hosts: Set<string>;
}

/** Parses MEDIA_URL_ALLOW: a comma list of CIDRs (or bare addresses) and host names. */
export function parseUrlAllowList(text: string): UrlAllowList {
  const list: UrlAllowList = { ranges: [], hosts: new Set() };
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const range = parseCidr(entry);
    if (range) list.ranges.push(range);
    else if (/^[A-Za-z0-9.-]+$/.test(entry)) list.hosts.add(entry.toLowerCase());
    else throw new Error(`MEDIA_URL_ALLOW: not a CIDR or host name: ${entry}`);
  }
  return list;
}

/**
 * Why connecting to `address` (resolved from `host`) is refused, or undefined when it is allowed: a public
 * address, or one the allow list names (its host name or a range holding the address).
 */
export function refusalOf(host: string, address: string, allow: UrlAllowList): AddressClass | undefined {
  const refused = refusedClassOf(address);
  if (refused === undefined) return undefined;
  if (allow.hosts.has(host.toLowerCase().replace(/^\[|\]$/g, ''))) return undefined;
  const ip = parseIp(address);
  if (ip !== undefined && allow.ranges.some((range) => contains(range, ip))) return undefined;
  return refused;
}
