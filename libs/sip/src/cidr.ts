// IP prefixes (v4 and v6) for allowlists: trunks' inbound sources, the engine's flood exemptions.
// CONTRACT: signatures fixed; implementation by the libs helper.

export interface Cidr {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address, normalised (host bits zero). */
  address: string;
  prefix: number;
}

/** `10.0.0.0/8`, `192.0.2.7` (= /32), `2001:db8::/32`, `::1`. Throws SipError INVALID_ARGUMENT-like (errors lib) naming the text. */
export function parseCidr(text: string): Cidr {
  throw new Error(`not implemented: parseCidr(${text})`);
}

/** `a.b.c.d/n` or `x::/n`, normalised. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** Whether the address (v4, v6, or v4-mapped v6 `::ffff:a.b.c.d`) is inside. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  throw new Error(`not implemented: cidrContains(${formatCidr(cidr)}, ${address})`);
}

/** The most specific of `cidrs` containing the address (longest prefix), or undefined. */
export function longestMatch<T extends { cidr: Cidr }>(
  entries: readonly T[],
  address: string,
): T | undefined {
  throw new Error(`not implemented: longestMatch(${entries.length}, ${address})`);
}
