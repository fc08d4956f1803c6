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
