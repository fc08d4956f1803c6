// SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966). Parts are kept as written (still %-escaped):
// comparison and routing code unescapes what it needs with `unescapeUriPart`.
import { SipParseError } from './errors.js';

export type UriScheme = 'sip' | 'sips' | 'tel';

export interface SipUri {
  scheme: UriScheme;
  /** User part (sip/sips) or the telephone number (tel), %-escapes kept. */
  user?: string;
  password?: string;
  /** Host name or address; IPv6 references keep their brackets. Empty for tel. */
  host: string;
  port?: number;
  /** URI parameters; names lower-cased, values as written, `null` for a parameter without a value. */
  params: Map<string, string | null>;
  /** URI headers (`?name=value&...`), as written. */
  headers: Map<string, string>;
}

/** `scheme ":"` as RFC 3986 spells it; returns the lower-cased scheme or undefined. */
export function uriScheme(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  for (let i = 0; i < colon; i++) {
    const c = text.charCodeAt(i);
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alpha && (i === 0 || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return undefined;
  }
  return text.slice(0, colon).toLowerCase();
}

function checkEscapes(text: string, what: string): void {
  for (let i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
    if (!isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) {
      throw new SipParseError(`Bad %-escape in URI ${what}`);
    }
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function checkNoWhite(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) {
      throw new SipParseError('Illegal character in URI');
    }
  }
}

/** Decodes %HH escapes (NUL included: a JS string holds it). Bytes are read as UTF-8. */
export function unescapeUriPart(text: string): string {
  if (text.indexOf('%') < 0) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 37 && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseUriParams(text: string, params: Map<string, string | null>): void {
  if (text.length === 0) return;
  for (const part of text.split(';')) {
    if (part.length === 0) throw new SipParseError('Empty URI parameter');
    const eq = part.indexOf('=');
    if (eq === 0) throw new SipParseError('Empty URI parameter name');
    if (eq < 0) params.set(part.toLowerCase(), null);
    else params.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
}

/** Parses a sip:, sips: or tel: URI. Another scheme throws SipParseError with status 416. */
export function parseUri(text: string): SipUri {
  checkNoWhite(text);
  const scheme = uriScheme(text);
  if (scheme === undefined) throw new SipParseError(`Not a URI: ${text.slice(0, 64)}`);
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    throw new SipParseError(`Unsupported URI scheme: ${scheme}`, 416);
  }
  checkEscapes(text, 'text');
  const params = new Map<string, string | null>();
  const headers = new Map<string, string>();
  let rest = text.slice(scheme.length + 1);

  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    if (number.length === 0) throw new SipParseError('Empty tel number');
    if (semi >= 0) parseUriParams(rest.slice(semi + 1), params);
    return { scheme, user: number, host: '', params, headers };
  }

  const uri: SipUri = { scheme, host: '', params, headers };
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    uri.user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) uri.password = userinfo.slice(colon + 1);
    if (uri.user.length === 0) throw new SipParseError('Empty user part in URI');
    rest = rest.slice(at + 1);
  }
  let i = 0;
  if (rest.charCodeAt(0) === 91) {
    const close = rest.indexOf(']');
    if (close < 0) throw new SipParseError('Unterminated IPv6 reference');
    i = close + 1;
  } else {
    while (i < rest.length) {
      const c = rest.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      const ok =
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
      if (!ok) throw new SipParseError('Illegal character in URI host');
      i++;
    }
  }
  uri.host = rest.slice(0, i);
  if (uri.host.length === 0) throw new SipParseError('Empty host in URI');
  if (rest.charCodeAt(i) === 58) {
    const start = ++i;
    while (i < rest.length && rest.charCodeAt(i) >= 48 && rest.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 5) throw new SipParseError('Bad port in URI');
    uri.port = Number(rest.slice(start, i));
    if (uri.port > 65535) throw new SipParseError('Bad port in URI');
  }
  const q = rest.indexOf('?', i);
  const paramText = rest.slice(i, q < 0 ? rest.length : q);
  if (paramText.length > 0) {
    if (paramText.charCodeAt(0) !== 59) throw new SipParseError('Illegal character after URI host');
    parseUriParams(paramText.slice(1), params);
  }
  if (q >= 0) {
    for (const part of rest.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new SipParseError('Bad URI header');
      headers.set(part.slice(0, eq), part.slice(eq + 1));
    }
  }
  return uri;
}

export function formatUri(uri: SipUri): string {
  let out = uri.scheme + ':';
  if (uri.scheme === 'tel') {
    out += uri.user ?? '';
  } else {
    if (uri.user !== undefined) {
      out += uri.user;
      if (uri.password !== undefined) out += ':' + uri.password;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += ':' + uri.port;
  }
  for (const [name, value] of uri.params) out += value === null ? `;${name}` : `;${name}=${value}`;
  let sep = '?';
  for (const [name, value] of uri.headers) {
    out += `${sep}${name}=${value}`;
    sep = '&';
  }
  return out;
}
