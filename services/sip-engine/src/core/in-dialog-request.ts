// A request inside a dialog built from the app's partial one (RFC 3261 12.2.1.1, research §7.5): the
// dialog's Call-ID, tags, route set and CSeq; the app's other headers and body.
import { SipRequest } from '@callctl/sip';
import { sentBy, viaTransport } from './addressing.js';
import { contentTypeFor, safeCSeq, sortAppHeaders, type AppHeaders } from './app-sip.js';
import type { Dialog } from './dialog.js';

/** srf's Request-URI for `dialog.request()`/`modify()`/`destroy()`: the engine puts the remote target. */
const PLACEHOLDER_URI = 'sip:placeholder';

/**
 * `seq` forces the CSeq number (an ACK uses its INVITE's); otherwise the app's CSeq (digest retries carry
 * one) or the dialog's next local number, which the dialog then remembers.
 */
export function buildInDialogRequest(
  dialog: Dialog,
  appRequest: SipRequest | undefined,
  method: string,
  branch: string,
  seq?: number,
): SipRequest {
  const transport = dialog.flow.transport;
  const headers: AppHeaders = appRequest
    ? sortAppHeaders(appRequest, sentBy(transport), false)
    : { other: [] };
  let cseq = seq;
  if (cseq === undefined) {
    const given = headers.cseq !== undefined ? safeCSeq(headers.cseq) : undefined;
    cseq = given ?? dialog.localSeq + 1;
    dialog.localSeq = Math.max(dialog.localSeq, cseq);
  }
  const uri =
    method === 'ACK' || !appRequest || appRequest.uri === PLACEHOLDER_URI
      ? dialog.remoteTarget
      : appRequest.uri;
  const list: Array<[string, string]> = [
    ['Via', `SIP/2.0/${viaTransport(transport)} ${sentBy(transport)};rport;branch=${branch}`],
    ['Max-Forwards', headers.maxForwards ?? '70'],
    ['From', dialog.local],
    ['To', dialog.remote],
    ['Call-ID', dialog.callId],
    ['CSeq', `${cseq} ${method}`],
  ];
  for (const route of dialog.routeSet) list.push(['Route', route]);
  list.push(...headers.other);
  const needsContact = method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER';
  const contact = headers.contact ?? (needsContact ? `<${dialog.localContact}>` : undefined);
  if (contact !== undefined) list.push(['Contact', contact]);
  const body = appRequest?.body ?? Buffer.alloc(0);
  const contentType = contentTypeFor(body, headers.contentType);
  if (body.length > 0 && contentType !== undefined) list.push(['Content-Type', contentType]);
  return new SipRequest(method, uri, list, body);
}
