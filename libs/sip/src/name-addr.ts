// name-addr / addr-spec with header parameters (From, To, Contact, Route, Record-Route, Refer-To...),
// RFC 3261 20.10 and 25.1. In a bare addr-spec everything after the first ';' belongs to the header,
// not the URI (RFC 3261 20.10), which is why `sip:a@b;x=1` gives params {x: '1'} and uri 'sip:a@b'.
import { endOfQuoted, isTokenChar, parseParams, skipWhite, unquote } from './basic-rules.js';
import { SipParseError } from './errors.js';

export interface NameAddr {
  displayName?: string;
  /** The URI without the angle brackets, as written. */
  uri: string;
  /** Header parameters; names lower-cased, values as written (quoted ones keep their quotes). */
  params: Map<string, string | null>;
  tag?: string;
}

export interface Contact extends NameAddr {
  /** True for `Contact: *` (REGISTER removing all bindings). */
  star?: boolean;
  expires?: number;
  q?: number;
}

export function parseNameAddr(text: string): NameAddr {
  const end = text.length;
  let i = skipWhite(text, 0);
  let displayName: string | undefined;
  let uri: string;
  const c0 = text.charCodeAt(i);
  let lt = -1;
  if (c0 === 34) {
    const close = endOfQuoted(text, i);
    displayName = unquote(text.slice(i, close));
    i = skipWhite(text, close);
    if (text.charCodeAt(i) !== 60) throw new SipParseError('Expected < after display name');
    lt = i;
  } else {
    // Scan a run of tokens and LWS: stopping at '<' means a display name, anything else an addr-spec.
    let j = i;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (isTokenChar(c) || c === 32 || c === 9) j++;
      else break;
    }
    if (text.charCodeAt(j) === 60) {
      lt = j;
      const name = text.slice(i, j).trim();
      if (name.length > 0) displayName = name;
    }
  }
  if (lt >= 0) {
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('Unterminated <');
    // RFC 4475 3.1.2.14: spaces inside <> are outside the grammar; being liberal here is allowed.
    uri = text.slice(lt + 1, gt).trim();
    i = gt + 1;
  } else {
    let j = i;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 59 || c === 32 || c === 9 || c === 44 || c === 63) break;
      if (c === 60 || c === 62 || c === 34) throw new SipParseError(`Bad address: ${text.slice(0, 80)}`);
      j++;
    }
    uri = text.slice(i, j);
    // RFC 3261 20: an addr-spec holding ',', '?' or ';' must be in <>, so those end it here.
    if (text.charCodeAt(j) === 63 || text.charCodeAt(j) === 44) {
      throw new SipParseError('URI with headers or commas must be enclosed in <>');
    }
    i = j;
  }
  if (uri.length === 0 || uri.indexOf(':') <= 0)
    throw new SipParseError(`Bad address URI: ${text.slice(0, 80)}`);
  const params = new Map<string, string | null>();
  parseParams(text, i, params);
  const result: NameAddr = { uri, params };
  if (displayName !== undefined) result.displayName = displayName;
  const tag = params.get('tag');
  if (tag !== undefined && tag !== null) result.tag = tag;
  return result;
}

export function parseContact(text: string): Contact {
  if (text.trim() === '*') return { uri: '*', params: new Map(), star: true };
  const contact: Contact = parseNameAddr(text);
  const expires = contact.params.get('expires');
  if (expires !== undefined && expires !== null) {
    if (!/^\d{1,10}$/.test(expires)) throw new SipParseError('Bad Contact expires');
    contact.expires = Number(expires);
  }
  const q = contact.params.get('q');
  if (q !== undefined && q !== null) {
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) throw new SipParseError('Bad Contact q');
    contact.q = Number(q);
  }
  return contact;
}

function needsQuotes(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isTokenChar(c) && c !== 32) return true;
  }
  return false;
}

export function formatNameAddr(addr: NameAddr): string {
  let out = '';
  if (addr.displayName !== undefined && addr.displayName.length > 0) {
    out += needsQuotes(addr.displayName)
      ? '"' + addr.displayName.replace(/["\\]/g, (c) => '\\' + c) + '" '
      : addr.displayName + ' ';
  }
  out += `<${addr.uri}>`;
  for (const [name, value] of addr.params) {
    if (name === 'tag') continue;
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }
  if (addr.tag !== undefined) out += `;tag=${addr.tag}`;
  return out;
}
