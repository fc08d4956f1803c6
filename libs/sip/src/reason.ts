// RFC 3326 Reason header: why a BYE or CANCEL was sent (or a final response given), as a protocol ("Q.850"
// for an ISDN cause, "SIP" for a SIP status) with `cause` and `text` parameters.
import { quote, splitTopLevel } from './basic-rules.js';
import { headerParameter } from './multipart.js';

export interface SipReason {
  /** The protocol token as sent ("Q.850", "SIP", ...). */
  protocol: string;
  /** The cause parameter; 0 when absent or not a number. */
  cause: number;
  /** The text parameter, unquoted; empty when absent. */
  text: string;
}

const SEMICOLON = 59;
/** Longer texts are cut: a peer's Reason goes into facts and logs. */
export const REASON_TEXT_MAX = 200;

/**
 * The first reason of a Reason header value (a peer may send one per protocol, comma-separated), or
 * undefined when the value names no protocol. Lenient: a missing or odd cause is 0, a missing text empty.
 */
export function parseReason(value: string | undefined): SipReason | undefined {
  if (!value) return undefined;
  let first: string | undefined;
  try {
    first = splitTopLevel(value, false)[0];
  } catch {
    return undefined;
  }
  if (!first) return undefined;
  const protocol = (splitTopLevel(first, false, SEMICOLON)[0] ?? '').trim();
  if (!protocol || /[\s"=]/.test(protocol)) return undefined;
  const causeText = headerParameter(first, 'cause') ?? '';
  const cause = /^\d{1,5}$/.test(causeText) ? Number(causeText) : 0;
  const text = (headerParameter(first, 'text') ?? '').slice(0, REASON_TEXT_MAX);
  return { protocol, cause, text };
}

/** A Reason header value: `Q.850;cause=16;text="Normal call clearing"` (text left out when empty). */
export function formatReason(reason: SipReason): string {
  // CR and LF cannot be escaped in a quoted string: a text from an application loses them.
  const text = reason.text.replace(/[\r\n]+/g, ' ').slice(0, REASON_TEXT_MAX);
  return `${reason.protocol};cause=${reason.cause}${text ? `;text=${quote(text)}` : ''}`;
}
