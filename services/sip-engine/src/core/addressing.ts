// Where a SIP message goes: URIs to transport peers, our own sent-by/Contact, and the flow a dialog or
// transaction uses. Dev/CI scope: literal IPs and `localhost`; no RFC 3263 DNS resolution yet.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseNameAddr, parseUri } from '@callctl/sip';
import type { Peer, SipTransport, TransportProtocol } from '../transport/transport.js';

/** A transport and the remote end on it: where a message goes, or came from. */
export interface Flow {
  transport: SipTransport;
  remote: Peer;
}

export interface Target {
  peer: Peer;
  protocol: TransportProtocol;
}

export class AddressError extends Error {
  readonly code = 'SIP_ADDRESS';
  override readonly name = 'AddressError';
}

/** The next hop a SIP URI names, before any DNS: host as written, port and protocol. */
export interface NextHop {
  host: string;
  port: number;
  protocol: TransportProtocol;
}

/** Next hop of a SIP URI (RFC 3263 reduced to A/AAAA lookups): `;transport=` picks the protocol. */
export function nextHopOfUri(uriText: string): NextHop {
  const uri = parseUri(uriText);
  if (uri.scheme === 'tel') throw new AddressError(`cannot route to ${uriText}`);
  let host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  const transport = uri.params.get('transport')?.toLowerCase();
  const protocol: TransportProtocol =
    transport === 'tcp' || transport === 'tls' || transport === 'ws' || transport === 'wss'
      ? transport
      : uri.scheme === 'sips'
        ? 'tls'
        : 'udp';
  return { host, port: uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060), protocol };
}

/** The next hop of a URI naming an IP literal; a host name throws AddressError (callers resolve it first). */
export function targetOfUri(uriText: string): Target {
  const hop = nextHopOfUri(uriText);
  if (isIP(hop.host) === 0) throw new AddressError(`host ${hop.host} needs a DNS lookup`);
  return { peer: { address: hop.host, port: hop.port }, protocol: hop.protocol };
}

/** Resolves a next hop's host name (an IP literal passes through). */
export async function resolveNextHop(
  hop: NextHop,
  lookupHost: (host: string) => Promise<string>,
): Promise<Target> {
  const address = isIP(hop.host) === 0 ? await lookupHost(hop.host) : hop.host;
  return { peer: { address, port: hop.port }, protocol: hop.protocol };
}

/** The system resolver (getaddrinfo): /etc/hosts and A/AAAA records. */
export async function systemLookup(host: string): Promise<string> {
  return (await lookup(host)).address;
}

/** The URI of a Route/Record-Route/Contact value (`<sip:...;lr>` or a bare addr-spec). */
export function uriOfAddress(value: string): string {
  return parseNameAddr(value).uri;
}

export function hostPort(peer: Peer): string {
  return `${peer.address.includes(':') ? `[${peer.address}]` : peer.address}:${peer.port}`;
}

/** `host:port` peers reach a transport at: what goes in our Via sent-by, Contact and From. */
export function sentBy(transport: SipTransport): string {
  return hostPort(transport.advertised ?? transport.local);
}

/**
 * Our Contact URI on a transport: `sip:host:port[;transport=tcp]`; over TLS in a dialog a SIPS URI began,
 * `sips:host:port` (RFC 3261 §8.1.1.8, §12.1.1: SIPS stays SIPS along the dialog).
 */
export function localContactUri(transport: SipTransport, sips = false): string {
  if (sips && transport.protocol === 'tls') return `sips:${sentBy(transport)}`;
  const suffix = transport.protocol === 'udp' ? '' : `;transport=${transport.protocol}`;
  return `sip:${sentBy(transport)}${suffix}`;
}

/** Whether a URI, bare or in a name-addr (`<sips:...>`), is a SIPS URI. */
export function isSipsUri(value: string | undefined): boolean {
  return value !== undefined && /^\s*(?:[^<]*<)?sips:/i.test(value);
}

export function viaTransport(transport: SipTransport): string {
  return transport.protocol.toUpperCase();
}
