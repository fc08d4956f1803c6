import { type SipParseError } from './errors.js';
import { headerKey } from './header-names.js';
import { newTag } from './ids.js';
import { SipResponse, type SipRequest } from './message.js';
import { REASON_PHRASES } from './reason-phrases.js';

export interface BuildResponseOptions {
  /** To tag to add when the request's To has none (ignored for 100). @default a new random tag */
  toTag?: string;
  /** Extra headers, appended after the copied ones. */
  headers?: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

function hasTag(to: string): boolean {
  // Cheap scan: a ';tag=' outside the URI's <> (URI parameters named tag do not count).
  const gt = to.lastIndexOf('>');
  return /;\s*tag\s*=/i.test(gt < 0 ? to : to.slice(gt));
}

/**
 * RFC 3261 8.2.6: a response copies every Via (in order), From, To (adding a tag when absent, except
 * for 100), Call-ID and CSeq from the request. Works on requests with missing headers too (copies
 * what is there), so it can answer a request that failed validation.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  options: BuildResponseOptions = {},
): SipResponse {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of request.headers) {
    const key = headerKey(name);
    if (key === 'via') headers.push(['Via', value]);
  }
  const from = request.get('From');
  if (from !== undefined) headers.push(['From', from]);
  const to = request.get('To');
  if (to !== undefined) {
    const tag = status > 100 && !hasTag(to) ? `;tag=${options.toTag ?? newTag()}` : '';
    headers.push(['To', to + tag]);
  }
  const callId = request.get('Call-ID');
  if (callId !== undefined) headers.push(['Call-ID', callId]);
  const cseq = request.get('CSeq');
  if (cseq !== undefined) headers.push(['CSeq', cseq]);
  if (status === 100) {
    const timestamp = request.get('Timestamp');
    if (timestamp !== undefined) headers.push(['Timestamp', timestamp]);
  }
  if (options.headers) headers.push(...options.headers);
  const body = options.body ?? Buffer.alloc(0);
  if (options.contentType !== undefined) headers.push(['Content-Type', options.contentType]);
  headers.push(['Content-Length', String(body.length)]);
  return new SipResponse(status, reason ?? REASON_PHRASES[status] ?? 'Unknown', headers, body);
}

/**
 * The error response for a request that failed to parse, built from `error.partial` (RFC 3261 8.2.6
 * copies, best effort). Undefined when no response may or can be sent: the message was a response or
 * an ACK, or it carried no Via to send the answer to.
 */
export function buildParseErrorResponse(
  error: SipParseError,
  options: BuildResponseOptions = {},
): SipResponse | undefined {
  const partial = error.partial;
  if (partial?.method === undefined || partial.method === 'ACK' || !partial.vias?.length) return undefined;
  const headers: Array<[string, string]> = partial.vias.map((via): [string, string] => ['Via', via]);
  if (partial.from !== undefined) headers.push(['From', partial.from]);
  if (partial.to !== undefined) {
    const tag = hasTag(partial.to) ? '' : `;tag=${options.toTag ?? newTag()}`;
    headers.push(['To', partial.to + tag]);
  }
  if (partial.callId !== undefined) headers.push(['Call-ID', partial.callId]);
  if (partial.cseq !== undefined) headers.push(['CSeq', partial.cseq]);
  if (options.headers) headers.push(...options.headers);
  headers.push(['Content-Length', '0']);
  const status = error.status >= 400 && error.status <= 699 ? error.status : 400;
  // The reason phrase says what was wrong (it is what the peer's log shows); keep it one safe line.
  const reason = error.reason.replace(/[\r\n]+/g, ' ').slice(0, 120);
  return new SipResponse(status, reason, headers);
}
