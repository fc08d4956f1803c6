// RFC 3261 25.1 basic rules shared by the header grammars: token characters, linear white space, quoted
// strings, top-level comma splitting and `;name=value` parameter lists. All scanners are single pass
// over char codes (no backtracking regular expressions), so every parse is linear in the input.
import { SipParseError } from './errors.js';

const TOKEN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") {
  TOKEN[c.charCodeAt(0)] = 1;
}

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

export function isWhite(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10;
}

export function skipWhite(text: string, i: number, end = text.length): number {
  while (i < end && isWhite(text.charCodeAt(i))) i++;
  return i;
}

/** Index just after the closing quote of the quoted string opening at `start`; throws if unterminated. */
export function endOfQuoted(text: string, start: number, end = text.length): number {
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  throw new SipParseError('Unterminated quoted string');
}

/** Contents of a quoted string without the quotes, with quoted-pairs unescaped. */
export function unquote(text: string): string {
  if (text.length < 2 || text.charCodeAt(0) !== 34) return text;
  const inner = text.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === 92) {
      parts.push(inner.slice(from, i));
      from = i + 1;
      i++;
    }
  }
  parts.push(inner.slice(from));
  return parts.join('');
}

export function quote(text: string): string {
  return '"' + text.replace(/["\\]/g, (c) => '\\' + c) + '"';
}

function hasClosingQuote(text: string, start: number): boolean {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return true;
  }
  return false;
}

/**
 * Splits a header value on commas that are not inside a quoted string, `<...>` or a comment. Elements
 * are trimmed; empty elements are kept (the caller decides whether `a,,b` is an error).
 */
export function splitTopLevel(value: string, strict = true, separator = 44): string[] {
  const out: string[] = [];
  let from = 0;
  let angle = false;
  let paren = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      // Lenient callers (getAll) get an unterminated quote as the rest of the last element.
      if (!strict && !hasClosingQuote(value, i)) break;
      i = endOfQuoted(value, i) - 1;
    } else if (angle) {
      if (c === 62) angle = false;
    } else if (paren > 0) {
      if (c === 92) i++;
      else if (c === 40) paren++;
      else if (c === 41) paren--;
    } else if (c === 60) {
      angle = true;
    } else if (c === 40) {
      paren = 1;
    } else if (c === separator) {
      out.push(value.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(value.slice(from).trim());
  return out;
}

/**
 * Parses `*( SEMI generic-param )` starting at `i` (which must be at a `;` or the end), LWS allowed
 * around `;` and `=`. Names are lower-cased (RFC 3261 compares parameter names case-insensitively);
 * values are kept as written (quoted values keep their quotes). Throws on an empty name.
 */
export function parseParams(text: string, i: number, params: Map<string, string | null>): void {
  const end = text.length;
  i = skipWhite(text, i);
  while (i < end) {
    if (text.charCodeAt(i) !== 59) throw new SipParseError(`Unexpected character in parameters: ${text}`);
    i = skipWhite(text, i + 1);
    const nameStart = i;
    while (i < end && isTokenChar(text.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError(`Empty parameter: ${text}`);
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWhite(text, i);
    if (i < end && text.charCodeAt(i) === 61) {
      i = skipWhite(text, i + 1);
      const valueStart = i;
      if (i < end && text.charCodeAt(i) === 34) {
        i = endOfQuoted(text, i);
      } else if (i < end && text.charCodeAt(i) === 91) {
        const close = text.indexOf(']', i);
        if (close < 0) throw new SipParseError(`Unterminated IPv6 reference in parameter: ${text}`);
        i = close + 1;
      } else {
        while (i < end && isTokenChar(text.charCodeAt(i))) i++;
        // host values such as received=[::1] or maddr with ':' are tokens plus ':'
        while (i < end && (isTokenChar(text.charCodeAt(i)) || text.charCodeAt(i) === 58)) i++;
      }
      if (i === valueStart) throw new SipParseError(`Empty parameter value: ${text}`);
      params.set(name, text.slice(valueStart, i));
      i = skipWhite(text, i);
    } else {
      params.set(name, null);
    }
  }
}

export function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
