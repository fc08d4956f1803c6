// Requests an element derives from one it sent earlier (RFC 3261 9.1 CANCEL, 17.1.1.3 ACK for a non-2xx).
import { splitTopLevel } from './basic-rules.js';
import { headerKey } from './header-names.js';
import { SipRequest, type SipResponse } from './message.js';

function copyRoute(request: SipRequest, into: Array<[string, string]>): void {
  for (const [name, value] of request.headers) if (headerKey(name) === 'route') into.push(['Route', value]);
}

function topViaLine(request: SipRequest): string {
  const value = request.get('Via');
  if (value === undefined) throw new Error('request has no Via');
  // The top element only: the header line may hold several.
  return splitTopLevel(value)[0]!;
}

/**
 * The ACK a client transaction sends for a non-2xx final response: same Request-URI, top Via (same branch),
 * From, Call-ID, CSeq number and Route as the INVITE; To from the response (with its tag).
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: Array<[string, string]> = [
    ['Via', topViaLine(invite)],
    ['Max-Forwards', '70'],
  ];
  headers.push(['From', invite.get('From') ?? '']);
  headers.push(['To', response.get('To') ?? invite.get('To') ?? '']);
  headers.push(['Call-ID', invite.callId]);
  headers.push(['CSeq', `${invite.cseq.seq} ACK`]);
  copyRoute(invite, headers);
  headers.push(['Content-Length', '0']);
  return new SipRequest('ACK', invite.uri, headers);
}

/** The CANCEL for a pending request: same Request-URI, top Via, From, To, Call-ID, CSeq number, Route. */
export function buildCancel(request: SipRequest, extraHeaders: Array<[string, string]> = []): SipRequest {
  const headers: Array<[string, string]> = [
    ['Via', topViaLine(request)],
    ['Max-Forwards', '70'],
  ];
  headers.push(['From', request.get('From') ?? '']);
  headers.push(['To', request.get('To') ?? '']);
  headers.push(['Call-ID', request.callId]);
  headers.push(['CSeq', `${request.cseq.seq} CANCEL`]);
  copyRoute(request, headers);
  headers.push(...extraHeaders);
  headers.push(['Content-Length', '0']);
  return new SipRequest('CANCEL', request.uri, headers);
}
