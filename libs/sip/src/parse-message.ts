// Datagram / framed-message parser. Eager: start line, header boundaries, unfolding, Content-Length and
// body framing. Lazy: every header value (see message.ts). Single pass with indexOf, no regex over the
// whole message, so the cost is linear in the input and bounded by `maxMessageBytes`.
import { isToken } from './basic-rules.js';
import { SipParseError, type SipParsePartial } from './errors.js';
import { headerKey } from './header-names.js';
import { SipRequest, SipResponse, parseContentLength } from './message.js';

export interface ParseOptions {
  /** Largest message accepted, start line to end of body. @default 65536 */
  maxMessageBytes?: number;
  /** Most header lines (after unfolding). @default 256 */
  maxHeaderCount?: number;
  /** Longest header line, folded continuation lines included. @default 16384 */
  maxHeaderLineBytes?: number;
  /**
   * 'datagram' (UDP): Content-Length optional, absent means the rest of the datagram is the body, and
   * octets after Content-Length are ignored (RFC 3261 18.3). 'stream' (TCP/TLS): Content-Length required.
   * @default 'datagram'
   */
  transport?: 'datagram' | 'stream';
  /**
   * Take every octet after the header section as the body and ignore Content-Length (it is still checked
   * for syntax). For text whose writer computes Content-Length wrongly, e.g. drachtio-srf counting UTF-16
   * units of a non-ASCII body; the serializer writes the true length. @default false
   */
  ignoreContentLength?: boolean;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 65536;
export const DEFAULT_MAX_HEADER_COUNT = 256;
export const DEFAULT_MAX_HEADER_LINE_BYTES = 16384;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Where the header section ends: [index of the blank line, length of the separator], or undefined. */
export function findHeaderEnd(data: Buffer, from: number): [number, number] | undefined {
  const crlf = data.indexOf(CRLFCRLF, from);
  // Bare-LF line ends are outside RFC 3261 but common in hand-written tests; accept them.
  const lf = data.indexOf(LFLF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf < 0 || (crlf >= 0 && crlf < lf)) return [crlf, 4];
  return [lf, 2];
}

function isVersion(text: string): boolean {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive
  if (text.length < 7 || text.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = text.indexOf('.', 4);
  if (dot <= 4 || dot === text.length - 1) return false;
  for (let i = 4; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (i !== dot && (c < 48 || c > 57)) return false;
  }
  return true;
}

function partialOf(method: string | undefined, headers: Array<[string, string]>): SipParsePartial {
  const partial: SipParsePartial = {};
  if (method !== undefined) partial.method = method;
  for (const [name, value] of headers) {
    const key = headerKey(name);
    if (key === 'call-id' && partial.callId === undefined) partial.callId = value;
    else if (key === 'cseq' && partial.cseq === undefined) partial.cseq = value;
    else if (key === 'from' && partial.from === undefined) partial.from = value;
    else if (key === 'to' && partial.to === undefined) partial.to = value;
    else if (key === 'via') (partial.vias ??= []).push(value);
  }
  return partial;
}

export function parseMessage(data: Buffer, options: ParseOptions = {}): SipRequest | SipResponse {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxHeaderCount = options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
  const maxLine = options.maxHeaderLineBytes ?? DEFAULT_MAX_HEADER_LINE_BYTES;
  if (data.length > maxMessageBytes) throw new SipParseError('Message Too Large', 513);

  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  if (start === data.length) throw new SipParseError('Empty message');

  const end = findHeaderEnd(data, start);
  const headEnd = end === undefined ? data.length : end[0];
  const bodyStart = end === undefined ? data.length : end[0] + end[1];
  const head = data.toString('utf8', start, headEnd);

  let lineEnd = head.indexOf('\n');
  if (lineEnd < 0) lineEnd = head.length;
  const startLine = head.charCodeAt(lineEnd - 1) === 13 ? head.slice(0, lineEnd - 1) : head.slice(0, lineEnd);
  if (startLine.length > maxLine) throw new SipParseError('Start line too long', 513);

  let method: string | undefined;
  let message: SipRequest | SipResponse;
  const headers: Array<[string, string]> = [];
  const fail = (reason: string, status = 400): SipParseError =>
    new SipParseError(reason, status, partialOf(method, headers));

  // Headers first (so an error in the start line can still carry a partial for the error response).
  let pos = lineEnd + 1;
  let current: [string, string] | undefined;
  let currentLength = 0;
  let startLineError: SipParseError | undefined;
  while (pos < head.length) {
    let next = head.indexOf('\n', pos);
    if (next < 0) next = head.length;
    const lineStop = head.charCodeAt(next - 1) === 13 ? next - 1 : next;
    const first = head.charCodeAt(pos);
    if (first === 32 || first === 9) {
      if (current === undefined) throw fail('Continuation line before first header');
      const more = head.slice(pos, lineStop).trim();
      if (more.length > 0) {
        current[1] = current[1].length === 0 ? more : current[1] + ' ' + more;
        currentLength += more.length + 1;
        if (currentLength > maxLine) throw fail('Header line too long', 513);
      }
    } else {
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= lineStop) throw fail('Malformed header line');
      const name = head.slice(pos, colon).trimEnd();
      if (!isToken(name)) throw fail('Malformed header name');
      if (headers.length >= maxHeaderCount) throw fail('Too many headers', 513);
      current = [name, head.slice(colon + 1, lineStop).trim()];
      // The limit applies to the line as it is written again (`Name: value`, folds joined), so every
      // message that parses also parses after serializeMessage, e.g. when a B2BUA forwards a header.
      currentLength = name.length + 2 + current[1].length;
      if (currentLength > maxLine) throw fail('Header line too long', 513);
      headers.push(current);
    }
    pos = next + 1;
  }

  if (startLine.length >= 4 && startLine.slice(0, 4).toUpperCase() === 'SIP/') {
    const sp1 = startLine.indexOf(' ');
    const version = sp1 < 0 ? startLine : startLine.slice(0, sp1);
    const code = sp1 < 0 ? '' : startLine.slice(sp1 + 1, sp1 + 4);
    const after = startLine.charCodeAt(sp1 + 4);
    if (!isVersion(version)) throw fail('Bad SIP version in status line');
    if (!/^[1-6]\d\d$/.test(code) || !(Number.isNaN(after) || after === 32)) throw fail('Bad status code');
    const reason = sp1 + 5 <= startLine.length ? startLine.slice(sp1 + 5) : '';
    message = new SipResponse(Number(code), reason, headers, undefined, version);
  } else {
    const sp1 = startLine.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
    if (sp1 > 0 && isToken(startLine.slice(0, sp1))) method = startLine.slice(0, sp1);
    if (sp2 < 0 || startLine.indexOf(' ', sp2 + 1) >= 0) {
      startLineError = fail('Malformed Request-Line');
    } else {
      const uri = startLine.slice(sp1 + 1, sp2);
      const version = startLine.slice(sp2 + 1);
      if (method === undefined) startLineError = fail('Bad method');
      else if (uri.length === 0 || /[\t<>"]/.test(uri)) startLineError = fail('Bad Request-URI');
      else if (!isVersion(version)) startLineError = fail('Bad SIP version');
      else {
        // A version other than 2.0 parses; validateRequest answers it with 505.
        message = new SipRequest(method, uri, headers, undefined, version);
      }
    }
    if (startLineError) throw startLineError;
  }

  // Content-Length: several values are a framing error (RFC 4475 3.3.9), so is a bad one (3.1.2.3).
  let contentLength: number | undefined;
  for (const [name, value] of headers) {
    if (headerKey(name) !== 'content-length') continue;
    if (contentLength !== undefined) throw fail('Multiple Content-Length headers');
    try {
      contentLength = parseContentLength(value);
    } catch {
      throw fail('Bad Content-Length');
    }
  }
  const available = data.length - bodyStart;
  if (options.ignoreContentLength) {
    message!.body = data.subarray(bodyStart);
  } else if (contentLength === undefined) {
    if (options.transport === 'stream') throw fail('Missing Content-Length');
    message!.body = data.subarray(bodyStart);
  } else {
    if (contentLength > available) throw fail('Content-Length larger than message');
    message!.body = data.subarray(bodyStart, bodyStart + contentLength);
  }
  return message!;
}
