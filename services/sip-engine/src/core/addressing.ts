// Where a SIP message goes: URIs to transport peers, our own sent-by/Contact, and the flow a dialog or
// transaction uses. Host names of new requests from apps are resolved by RFC 3263 (../dns); the flows of
// dialogs and proxied requests take literal IPs and `localhost`.
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
  /** The URI's port, else the default one (5060, 5061 for sips:). */
  port: number;
  /** The URI's `;transport=`, else UDP (TLS for sips:). */
  protocol: TransportProtocol;
  /** What the URI itself said, for RFC 3263: no port or no transport lets DNS (NAPTR/SRV) choose. */
  uriPort: number | undefined;
  uriTransport: TransportProtocol | undefined;
  secure: boolean;
}

const TRANSPORTS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Next hop of a SIP URI: `;transport=` picks the protocol, else UDP (TLS for sips:). */
export function nextHopOfUri(uriText: string): NextHop {
  const uri = parseUri(uriText);
  if (uri.scheme === 'tel') throw new AddressError(`cannot route to ${uriText}`);
  let host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  const param = uri.params.get('transport')?.toLowerCase();
  const uriTransport = TRANSPORTS.find((t) => t === param);
  const secure = uri.scheme === 'sips';
  const protocol: TransportProtocol = uriTransport ?? (secure ? 'tls' : 'udp');
  return {
    host,
    port: uri.port ?? (secure ? 5061 : 5060),
    protocol,
    uriPort: uri.port,
    uriTransport,
    secure,
  };
}

/** The next hop of a URI naming an IP literal; a host name throws AddressError (callers resolve it first). */
export function targetOfUri(uriText: string): Target {
  const hop = nextHopOfUri(uriText);
  if (isIP(hop.host) === 0) throw new AddressError(`host ${hop.host} needs a DNS lookup`);
  return { peer: { address: hop.host, port: hop.port }, protocol: hop.protocol };
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
