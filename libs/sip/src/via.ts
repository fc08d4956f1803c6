// Via (RFC 3261 20.42, 18.2.1; RFC 3581 rport). LWS is allowed around the '/' of sent-protocol.
import { formatParams, isTokenChar, parseParams, skipWhite } from './basic-rules.js';
import { SipParseError } from './errors.js';

export interface Via {
  /** `SIP/2.0` (protocol-name/version, upper-cased name). */
  protocol: string;
  /** Upper-cased transport token: UDP, TCP, TLS, SCTP, WS, WSS or any other token. */
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string | null>;
  branch?: string;
  received?: string;
  /** undefined: no rport; null: `;rport` without value (a request asking for it); number: filled in. */
  rport?: number | null;
}

/** The RFC 3261 branch magic cookie: a branch starting with it was made by an RFC 3261 element. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

function readToken(text: string, i: number, what: string): [string, number] {
  const start = i;
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
  if (i === start) throw new SipParseError(`Bad Via ${what}`);
  return [text.slice(start, i), i];
}

function expectSlash(text: string, i: number): number {
  i = skipWhite(text, i);
  if (text.charCodeAt(i) !== 47) throw new SipParseError('Bad Via sent-protocol');
  return skipWhite(text, i + 1);
}

export function parseVia(text: string): Via {
  let i = skipWhite(text, 0);
  const [name, afterName] = readToken(text, i, 'protocol name');
  const [version, afterVersion] = readToken(text, expectSlash(text, afterName), 'protocol version');
  const [transport, afterTransport] = readToken(text, expectSlash(text, afterVersion), 'transport');
  i = skipWhite(text, afterTransport);
  if (i === afterTransport) throw new SipParseError('Bad Via: no space before sent-by');
  const hostStart = i;
  if (text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close < 0) throw new SipParseError('Bad Via IPv6 reference');
    i = close + 1;
  } else {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      const ok =
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
      if (!ok) break;
      i++;
    }
  }
  if (i === hostStart) throw new SipParseError('Bad Via sent-by host');
  const via: Via = {
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host: text.slice(hostStart, i),
    params: new Map(),
  };
  i = skipWhite(text, i);
  if (text.charCodeAt(i) === 58) {
    i = skipWhite(text, i + 1);
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 5) throw new SipParseError('Bad Via port');
    via.port = Number(text.slice(start, i));
    if (via.port > 65535) throw new SipParseError('Bad Via port');
  }
  // A trailing comment (RFC 3261 allows one after via-params in RFC 2543 style) is dropped.
  const paren = text.indexOf('(', i);
  parseParams(paren < 0 ? text : text.slice(0, paren), i, via.params);
  const branch = via.params.get('branch');
  if (branch === null) throw new SipParseError('Via branch without value');
  if (branch !== undefined) via.branch = branch;
  const received = via.params.get('received');
  if (received === null) throw new SipParseError('Via received without value');
  if (received !== undefined) via.received = received;
  if (via.params.has('rport')) {
    const rport = via.params.get('rport');
    if (rport === null || rport === undefined) {
      via.rport = null;
    } else {
      if (!/^\d{1,5}$/.test(rport)) throw new SipParseError('Bad Via rport');
      via.rport = Number(rport);
    }
  }
  return via;
}

export function formatVia(via: Via): string {
  const hostport = via.port === undefined ? via.host : `${via.host}:${via.port}`;
  const params = new Map(via.params);
  // The typed fields win over stale copies in `params`, so callers may just set `via.received`.
  if (via.branch !== undefined) params.set('branch', via.branch);
  if (via.received !== undefined) params.set('received', via.received);
  if (via.rport !== undefined) params.set('rport', via.rport === null ? null : String(via.rport));
  return `${via.protocol}/${via.transport} ${hostport}${formatParams(params)}`;
}
