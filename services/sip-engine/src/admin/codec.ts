/**
 * Admin payload codec: splits a payload into its `|`-separated meta tokens (empties kept: positions matter)
 * and the optional SIP text after the first CRLF; classifies app messages; builds server→app payloads.
 * Token positions follow drachtio-srf 5.x exactly (research doc §3, §4).
 */

export class AdminProtocolError extends Error {
  readonly code = 'ADMIN_PROTOCOL';
  override readonly name = 'AdminProtocolError';
}

export type AppMessage =
  | { type: 'authenticate'; msgId: string; secret: string; tags: string[] }
  | { type: 'route' | 'remove_route'; msgId: string; verb: string }
  | { type: 'ping'; msgId: string }
  | { type: 'sip'; msgId: string; txnId: string; dialogId: string; routeUrl: string; sip: string }
  | { type: 'proxy'; msgId: string; tokens: string[]; sip: string };

const CRLF = '\r\n';

export function splitPayload(payload: string): { tokens: string[]; sip: string } {
  const eol = payload.indexOf(CRLF);
  const meta = eol < 0 ? payload : payload.slice(0, eol);
  return { tokens: meta.split('|'), sip: eol < 0 ? '' : payload.slice(eol + 2) };
}

/** Decodes one app→server payload. Throws AdminProtocolError naming the problem (msgId attached if known). */
export function decodeAppMessage(payload: string): AppMessage {
  const { tokens, sip } = splitPayload(payload);
  const msgId = tokens[0] ?? '';
  const type = tokens[1];
  if (!msgId || type === undefined) throw new AdminProtocolError('frame has no message id or type');
  switch (type) {
    case 'authenticate':
      return {
        type,
        msgId,
        secret: tokens[2] ?? '',
        tags: (tokens[3] ?? '').split(',').filter((t) => t.length > 0),
      };
    case 'route':
    case 'remove_route': {
      const verb = tokens[2];
      if (!verb) throw new AdminProtocolError(`${type} without a verb`);
      return { type, msgId, verb: verb.toLowerCase() };
    }
    case 'ping':
      return { type, msgId };
    case 'sip':
      if (!sip) throw new AdminProtocolError('sip message without SIP text');
      return {
        type,
        msgId,
        txnId: tokens[2] ?? '',
        dialogId: tokens[3] ?? '',
        routeUrl: tokens[4] ?? '',
        sip,
      };
    case 'proxy':
      return { type, msgId, tokens: tokens.slice(2), sip };
    default:
      throw new AdminProtocolError(`unknown message type ${JSON.stringify(type.slice(0, 40))}`);
  }
}

/** Best-effort message id of a payload that failed to decode, so the error can still be correlated. */
export function messageIdOf(payload: string): string | undefined {
  const bar = payload.indexOf('|');
  const id = bar > 0 ? payload.slice(0, bar) : '';
  return id && id.length <= 64 && !id.includes('\r') ? id : undefined;
}

export type ResponseStatus = 'OK' | 'NO' | 'NOK';

export function responsePayload(
  serverMsgId: string,
  appMsgId: string,
  status: ResponseStatus,
  data: readonly string[] = [],
  sip?: string,
): string {
  const meta = [serverMsgId, 'response', appMsgId, status, ...data].join('|');
  return sip === undefined ? meta : `${meta}${CRLF}${sip}`;
}

/** Where a SIP message came from or went, as srf reads it in `sip` frames and echoes. */
export interface SipMeta {
  source: 'network' | 'application';
  bytes: number;
  protocol: string;
  address: string;
  port: number;
  /** UTC time of day `HH:MM:SS.uuuuuu`. */
  time: string;
}

/** `<id>|sip|source|bytes|protocol|address|port|time|txnId|dialogId|[localAddress|localPort|]` CRLF SIP. */
export function sipPayload(
  serverMsgId: string,
  meta: SipMeta,
  txnId: string,
  dialogId: string,
  sip: string,
  receivedOn?: { address: string; port: number },
): string {
  const tokens = [
    serverMsgId,
    'sip',
    meta.source,
    String(meta.bytes),
    meta.protocol,
    meta.address,
    String(meta.port),
    meta.time,
    txnId,
    dialogId,
  ];
  if (receivedOn) tokens.push(receivedOn.address, String(receivedOn.port));
  return `${tokens.join('|')}|${CRLF}${sip}`;
}

export type CdrType = 'cdr:attempt' | 'cdr:start' | 'cdr:stop';

/** `<id>|cdr:<kind>|source|time|<fields...>` CRLF SIP. */
export function cdrPayload(
  serverMsgId: string,
  type: CdrType,
  fields: readonly string[],
  sip: string,
): string {
  return `${[serverMsgId, type, ...fields].join('|')}${CRLF}${sip}`;
}

/** UTC time of day as the real server prints it. */
export function timeOfDay(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds() * 1000, 6)}`;
}
