// Where a SIP message goes: URIs to transport peers, our own sent-by/Contact, and the flow a dialog or
// transaction uses. Dev/CI scope: literal IPs and `localhost`; no RFC 3263 DNS resolution yet.
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

/** The next hop a SIP URI names (RFC 3263 reduced to literal addresses); `;transport=` picks the protocol. */
export function targetOfUri(uriText: string): Target {
  const uri = parseUri(uriText);
  if (uri.scheme === 'tel') throw new AddressError(`cannot route to ${uriText}`);
  let host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (isIP(host) === 0) throw new AddressError(`cannot resolve host ${host} (only IP literals are routed)`);
  const transport = uri.params.get('transport')?.toLowerCase();
  const protocol: TransportProtocol =
    transport === 'tcp' || transport === 'tls' || transport === 'ws' || transport === 'wss'
      ? transport
      : uri.scheme === 'sips'
        ? 'tls'
        : 'udp';
  return { peer: { address: host, port: uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060) }, protocol };
}

/** The URI of a Route/Record-Route/Contact value (`<sip:...;lr>` or a bare addr-spec). */
export function uriOfAddress(value: string): string {
  return parseNameAddr(value).uri;
}

export function hostPort(peer: Peer): string {
  return `${peer.address.includes(':') ? `[${peer.address}]` : peer.address}:${peer.port}`;
}

/** Our Contact URI on a transport: `sip:host:port[;transport=tcp]`. */
export function localContactUri(transport: SipTransport): string {
  const suffix = transport.protocol === 'udp' ? '' : `;transport=${transport.protocol}`;
  return `sip:${hostPort(transport.local)}${suffix}`;
}

export function viaTransport(transport: SipTransport): string {
  return transport.protocol.toUpperCase();
}
