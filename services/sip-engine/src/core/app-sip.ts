// The SIP text inside an app's `sip` frame and the header rules of research §7.10: what the engine takes
// from the app, what it always computes itself, canonical casing, `@localhost` replacement.
import {
  canonicalHeaderName,
  formatNameAddr,
  headerKey,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  type SipRequest,
  type SipResponse,
} from '@callctl/sip';

/** Parses the partial SIP text srf writes. Its Content-Length counts UTF-16 units, so it is ignored. */
export function parseAppSip(text: string): SipRequest | SipResponse {
  return parseMessage(Buffer.from(text, 'utf8'), { ignoreContentLength: true, maxMessageBytes: 1_000_000 });
}

/** Never taken from the app: the engine computes these itself. */
const ENGINE_OWNED = new Set(['via', 'route', 'rseq', 'record-route', 'content-length']);
/** In responses the request's copies are used (only a To tag on the first response is honoured). */
const REQUEST_OWNED = new Set(['from', 'to', 'call-id', 'cseq']);
const LOCALHOST_HEADERS = new Set(['from', 'to', 'contact', 'p-asserted-identity']);

export interface AppHeaders {
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  contact?: string;
  maxForwards?: string;
  contentType?: string;
  /** Everything else, in the app's order, names re-cased. */
  other: Array<[string, string]>;
}

/**
 * Sorts the app's headers into the ones the engine places itself and the rest. `hostport` replaces
 * `localhost` in From/To/Contact/P-Asserted-Identity (srf's `callingNumber` yields `sip:N@localhost`).
 */
export function sortAppHeaders(
  message: SipRequest | SipResponse,
  hostport: string,
  forResponse: boolean,
): AppHeaders {
  const out: AppHeaders = { other: [] };
  for (const [name, raw] of message.headers) {
    const key = headerKey(name);
    if (ENGINE_OWNED.has(key)) continue;
    const value =
      LOCALHOST_HEADERS.has(key) && raw.includes('@localhost') ? replaceLocalhost(raw, hostport) : raw;
    if (key === 'to') out.to = value;
    else if (key === 'from') out.from = value;
    else if (forResponse && REQUEST_OWNED.has(key)) continue;
    else if (key === 'call-id') out.callId = value;
    else if (key === 'cseq') out.cseq = value;
    else if (key === 'contact' && out.contact === undefined) out.contact = value;
    else if (key === 'max-forwards') out.maxForwards = value;
    else if (key === 'content-type') out.contentType = value;
    else out.other.push([headerName(name), value]);
  }
  return out;
}

/** Unknown X- names stay as written; everything else gets canonical casing. */
function headerName(name: string): string {
  const c0 = name.charCodeAt(0);
  if ((c0 === 120 || c0 === 88) && name.charCodeAt(1) === 45) return name;
  return canonicalHeaderName(name);
}

function replaceLocalhost(value: string, hostport: string): string {
  try {
    const addr = parseNameAddr(value);
    addr.uri = addr.uri.replace(/@localhost(:\d+)?/i, `@${hostport}`);
    return formatNameAddr(addr);
  } catch {
    return value.replace(/@localhost(:\d+)?/i, `@${hostport}`);
  }
}

/** Content-Type for a body the app sent without one: SDP is recognised by its first line. */
export function contentTypeFor(body: Buffer, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  if (body.length >= 3 && body[0] === 0x76 && body[1] === 0x3d && body[2] === 0x30) return 'application/sdp';
  return undefined;
}

/** The tag of an app-written name-addr, or undefined when there is none or it does not parse. */
export function safeTag(nameAddr: string): string | undefined {
  try {
    return parseNameAddr(nameAddr).tag;
  } catch {
    return undefined;
  }
}

/** The number of an app-written CSeq (digest retries carry one), or undefined when it does not parse. */
export function safeCSeq(value: string): number | undefined {
  try {
    return parseCSeq(value).seq;
  } catch {
    return undefined;
  }
}
