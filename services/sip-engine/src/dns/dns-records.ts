// The DNS records RFC 3263 resolution reads, as the resolution logic sees them (no wire format here).

export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
}

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsRecordTypes {
  NAPTR: NaptrRecord;
  SRV: SrvRecord;
  A: string;
  AAAA: string;
}

export type DnsRecordType = keyof DnsRecordTypes;

/** Looks up one name's records of one type; no records (NXDOMAIN, NODATA, an unreachable server) is `[]`. */
export type DnsLookup = <T extends DnsRecordType>(name: string, type: T) => Promise<Array<DnsRecordTypes[T]>>;

/** One server's answer to one question: its records of the asked type and how long they may be kept. */
export interface DnsAnswer<T extends DnsRecordType = DnsRecordType> {
  records: Array<DnsRecordTypes[T]>;
  /**
   * Seconds the answer may be cached: the smallest TTL of the records (and of CNAMEs leading to them); for
   * an empty answer the SOA's negative TTL (RFC 2308) when the server sent one, else 0 (not cached).
   */
  ttlS: number;
}

export class DnsError extends Error {
  readonly code = 'SIP_DNS';
  override readonly name = 'DnsError';
}
