// IP prefixes (v4 and v6) for allowlists: trunks' inbound sources, the engine's flood exemptions.
// Addresses are compared as bytes (4 or 16), so `::ffff:192.0.2.1` and `192.0.2.1` are the same host and
// every spelling of a v6 address (zero runs, leading zeros, an embedded v4 tail) means one thing.
import { ValidationError } from '@callctl/errors';

export interface Cidr {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address, normalised (host bits zero). */
  address: string;
  prefix: number;
}

/** `10.0.0.0/8`, `192.0.2.7` (= /32), `2001:db8::/32`, `::1`. Throws ValidationError naming the text. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  // Not unmapped: `::ffff:0:0/96` is a v6 prefix (a v4 address is matched against it in its mapped form).
  const bytes = parseAddressBytes(addressText, false);
  if (bytes === undefined) throw invalidCidr(text, 'not an IPv4 or IPv6 address');
  const family = bytes.length === 4 ? 4 : 6;
  const maxPrefix = bytes.length * 8;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) throw invalidCidr(text, 'the prefix length is not a number');
    prefix = Number(prefixText);
    if (prefix > maxPrefix) throw invalidCidr(text, `the prefix length is above ${maxPrefix}`);
  }
  const network = maskBytes(bytes, prefix);
  const cidr: Cidr = { family, address: formatAddressBytes(network), prefix };
  networkBytes.set(cidr, network);
  return cidr;
}

/** `a.b.c.d/n` or `x::/n`, normalised. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/**
 * Whether the address (v4, v6, or v4-mapped v6 `::ffff:a.b.c.d`, brackets allowed) is inside. A v4
 * address is inside a v6 prefix when its v4-mapped form is. Anything that is not an address is outside.
 */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const bytes = parseAddressBytes(address);
  return bytes !== undefined && containsBytes(cidr, bytes);
}

/** The most specific of `cidrs` containing the address (longest prefix; the first of equals), or undefined. */
export function longestMatch<T extends { cidr: Cidr }>(
  entries: readonly T[],
  address: string,
): T | undefined {
  const bytes = parseAddressBytes(address);
  if (bytes === undefined) return undefined;
  let best: T | undefined;
  for (const entry of entries) {
    if ((best === undefined || entry.cidr.prefix > best.cidr.prefix) && containsBytes(entry.cidr, bytes)) {
      best = entry;
    }
  }
  return best;
}

/** An address as 4 or 16 bytes; a v4-mapped v6 address (`::ffff:a.b.c.d`) is its 4 v4 bytes unless `unmap` is false. */
export function parseAddressBytes(text: string, unmap = true): Uint8Array | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.includes(':')) {
    const v6 = parseV6(t);
    return unmap && v6 !== undefined && isV4Mapped(v6) ? v6.slice(12) : v6;
  }
  return parseV4(t);
}

// Cidrs are plain objects (they travel as JSON and are built by hand in tests); the network bytes of the
// ones we have seen are kept beside them so a hot allowlist check parses only the address it is given.
const networkBytes = new WeakMap<Cidr, Uint8Array>();

function networkOf(cidr: Cidr): Uint8Array | undefined {
  let bytes = networkBytes.get(cidr);
  if (bytes === undefined) {
    const parsed = cidr.family === 4 ? parseV4(cidr.address) : parseV6(cidr.address);
    if (parsed === undefined) return undefined;
    bytes = maskBytes(parsed, cidr.prefix);
    networkBytes.set(cidr, bytes);
  }
  return bytes;
}

function containsBytes(cidr: Cidr, address: Uint8Array): boolean {
  const network = networkOf(cidr);
  if (network === undefined) return false;
  let bytes = address;
  if (network.length === 16 && bytes.length === 4) bytes = v4Mapped(bytes);
  if (network.length !== bytes.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (network[i] !== bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full]! ^ network[full]!) & mask) === 0;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Decimal only: `010` is octal to inet_aton, so a leading zero is refused rather than guessed.
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i]!)) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  // Zone ids (`fe80::1%eth0`) name an interface, not a network: no allowlist can mean them.
  if (text.includes('%')) return undefined;
  let head = text;
  let v4Tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    v4Tail = parseV4(text.slice(lastColon + 1));
    if (v4Tail === undefined) return undefined;
    // The groups before the v4 tail, keeping a `::` that ends right before it (`::1.2.3.4`).
    head = text.endsWith('::', lastColon + 1) ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
  }
  const groupsWanted = v4Tail === undefined ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (left === undefined || right === undefined) return undefined;
  const missing = groupsWanted - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (v4Tail !== undefined) out.set(v4Tail, 12);
  return out;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function v4Mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

/** Dotted quad, or RFC 5952 text for v6 (lower case, the longest run of two or more zero groups as `::`). */
function formatAddressBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function invalidCidr(text: string, why: string): ValidationError {
  return new ValidationError(`invalid CIDR "${text}": ${why}`, { cidr: text });
}
