// drachtio-server's NAT detection for new dialogs (sip-dialog.cpp for the UAS side, sip-dialog-controller.cpp
// processResponseOutsideDialog for the UAC side): a phone behind NAT puts its private address in Contact, so
// requests inside its dialog must go back to where its messages came from, not to that Contact. A device
// the platform calls through its registered flow (srf `proxy`) is the common case.
import { isIP } from 'node:net';
import { parseUri } from '@callctl/sip';
import type { Peer } from '../transport/transport.js';
import { uriOfAddress } from './addressing.js';

/** Where a dialog's first message came from, and what it said about its far end. */
export interface NatEvidence {
  /** uac: a response to our INVITE/SUBSCRIBE made the dialog; uas: their INVITE/SUBSCRIBE did. */
  role: 'uac' | 'uas';
  method: string;
  /** The packet source of the request (uas) or of the response (uac). */
  source: Peer;
  /** Record-Route values in the order of the route set. */
  routeSet: readonly string[];
  /** The far end's Contact URI, if any. */
  contact: string | undefined;
}

/**
 * Whether the far end of a new dialog is behind NAT, by drachtio's rules:
 * - uas (their request): no Record-Route, and the Contact's host, or its port when it has one, differs from
 *   the packet's source;
 * - uac (their 2xx): the first route's host is an RFC 1918 address; or an INVITE's 2xx with no route set and
 *   a Contact host other than the packet's source address.
 */
export function behindNat(evidence: NatEvidence): boolean {
  const contact = hostPortOf(evidence.contact);
  if (evidence.role === 'uas') {
    if (evidence.routeSet.length > 0 || contact === undefined) return false;
    return (
      contact.host !== evidence.source.address ||
      (contact.port !== undefined && contact.port !== evidence.source.port)
    );
  }
  const firstRoute = evidence.routeSet[0];
  if (firstRoute !== undefined) {
    const route = hostPortOf(uriOfAddress(firstRoute));
    return route !== undefined && isRfc1918(route.host);
  }
  return evidence.method === 'INVITE' && contact !== undefined && contact.host !== evidence.source.address;
}

/** 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (RFC 1918), written as a dotted quad. */
export function isRfc1918(host: string): boolean {
  if (isIP(host) !== 4) return false;
  const [a, b] = host.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

function hostPortOf(uri: string | undefined): { host: string; port: number | undefined } | undefined {
  if (uri === undefined) return undefined;
  try {
    const parsed = parseUri(uri);
    const host = parsed.host.startsWith('[') ? parsed.host.slice(1, -1) : parsed.host;
    return { host, port: parsed.port };
  } catch {
    return undefined;
  }
}
