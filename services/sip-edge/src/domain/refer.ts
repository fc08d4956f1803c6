// REFER and its implicit subscription (RFC 3515), Replaces in a Refer-To (RFC 3891), and the
// message/sipfrag bodies of the NOTIFYs (RFC 3420): parsing and building, without I/O.
import { parseNameAddr, parseUri, REASON_PHRASES, splitTopLevel, unescapeUriPart } from '@callctl/sip';

/** Content-Type of a NOTIFY reporting a REFER's progress. */
export const SIPFRAG_TYPE = 'message/sipfrag;version=2.0';

/** Subscription-State of a REFER sip-edge accepted while its result is not known (RFC 3515 2.4.4). */
export const ACTIVE_SUBSCRIPTION = 'active;expires=60';

/** Subscription-State once the result was reported: nothing more will follow. */
export const TERMINATED_SUBSCRIPTION = 'terminated;reason=noresource';

/** The dialog a Refer-To's Replaces names (RFC 3891 6.1), its tags as written there. */
export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
}

/** A Refer-To sip-edge can act on: the URI to call, and the dialog it replaces, if any. */
export interface ReferTarget {
  /** The Refer-To URI without its Replaces header (other URI headers kept). */
  uri: string;
  replaces?: ReplacesTarget;
}

/** Why a Refer-To cannot be acted on; sent back in a 400's Warning. */
export interface ReferToProblem {
  problem: string;
}

/**
 * Reads the Refer-To header(s) of a REFER: exactly one value, a sip: or sips: URI with a host, and a
 * Replaces that names a Call-ID, a to-tag and a from-tag when present. `values`: every Refer-To value as
 * received (a parser may have joined repeated headers with commas).
 */
export function parseReferTo(values: readonly string[]): ReferTarget | ReferToProblem {
  const all = values.flatMap((value) => splitTopLevel(value, false)).filter((value) => value.length > 0);
  if (all.length === 0) return { problem: 'no Refer-To' };
  if (all.length > 1) return { problem: `${all.length} Refer-To values; exactly one is allowed` };
  let uriText: string;
  try {
    uriText = parseNameAddr(all[0]!).uri;
  } catch {
    return { problem: `Refer-To is not an address: ${quoted(all[0]!)}` };
  }
  let uri: ReturnType<typeof parseUri>;
  try {
    uri = parseUri(uriText);
  } catch {
    return { problem: `Refer-To is not a SIP URI: ${quoted(uriText)}` };
  }
  if ((uri.scheme !== 'sip' && uri.scheme !== 'sips') || !uri.host)
    return { problem: `Refer-To must be a sip: or sips: URI with a host, got ${quoted(uriText)}` };
  const replacesName = [...uri.headers.keys()].find((name) => name.toLowerCase() === 'replaces');
  if (replacesName === undefined) return { uri: uriText };
  const replaces = parseReplaces(unescapeUriPart(uri.headers.get(replacesName)!));
  if (!replaces) return { problem: `Refer-To has a malformed Replaces: ${quoted(uriText)}` };
  return { uri: withoutUriHeader(uriText, replacesName), replaces };
}

export function isReferToProblem(value: ReferTarget | ReferToProblem): value is ReferToProblem {
  return 'problem' in value;
}

/** `callid;to-tag=x;from-tag=y` (RFC 3891 6.1, parameters in any order, early-only ignored). */
export function parseReplaces(text: string): ReplacesTarget | undefined {
  const [callId, ...params] = text.split(';').map((part) => part.trim());
  if (!callId) return undefined;
  const tags = new Map<string, string>();
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq > 0) tags.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim());
  }
  const toTag = tags.get('to-tag');
  const fromTag = tags.get('from-tag');
  if (!toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag };
}

/**
 * True when the dialog (Call-ID and its two tags) is the one Replaces names. The tags are compared in
 * either order: which side is "to" depends on who built the Replaces (RFC 3891 3), and phones differ.
 */
export function replacesDialog(
  replaces: ReplacesTarget,
  dialog: { callId: string; localTag: string; remoteTag: string },
): boolean {
  if (replaces.callId !== dialog.callId) return false;
  const tags = [dialog.localTag, dialog.remoteTag];
  return (
    tags.includes(replaces.toTag) && tags.includes(replaces.fromTag) && replaces.toTag !== replaces.fromTag
  );
}

/** The URI with one `?name=value` header taken out (the others kept, in order). */
function withoutUriHeader(uri: string, name: string): string {
  const q = uri.indexOf('?');
  const kept = uri
    .slice(q + 1)
    .split('&')
    .filter((part) => part.slice(0, part.indexOf('=')) !== name);
  return kept.length > 0 ? `${uri.slice(0, q)}?${kept.join('&')}` : uri.slice(0, q);
}

/** A sipfrag status line (RFC 3420): what a NOTIFY says of the new call. */
export interface SipfragStatus {
  status: number;
  reason: string;
}

/** The status line of a message/sipfrag body, or undefined when it has none. */
export function parseSipfrag(body: string): SipfragStatus | undefined {
  const line = body.trimStart().split(/\r?\n/, 1)[0] ?? '';
  const match = /^SIP\/2\.0\s+([1-6]\d\d)(?:\s+(.*))?$/i.exec(line.trimEnd());
  if (!match) return undefined;
  return { status: Number(match[1]), reason: (match[2] ?? '').trim() };
}

/** The sipfrag body for a status (the standard phrase when `reason` is empty). */
export function sipfragBody(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason || reasonPhrase(status)}\r\n`;
}

/** The standard reason phrase of a status, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : 'Failed');
}

/** A status NotifyRefer may report: a provisional or a final one (100-699). */
export function isSipfragStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 699;
}

/** Subscription-State for a NOTIFY carrying `status`: a final status ends the subscription. */
export function subscriptionStateFor(status: number): string {
  return status >= 200 ? TERMINATED_SUBSCRIPTION : ACTIVE_SUBSCRIPTION;
}

/** The Event header of a NOTIFY for the REFER whose CSeq number is `id`. */
export function referEvent(id: string): string {
  return `refer;id=${id}`;
}

/**
 * Reads a NOTIFY's Event header: `refer` with its `id` (the REFER's CSeq number), `missing` when there is
 * no Event header (some servers send sipfrag NOTIFYs without one), `other` for another package.
 */
export function readReferEvent(
  event: string | undefined,
): { kind: 'refer'; id?: string } | { kind: 'missing' } | { kind: 'other' } {
  if (event === undefined || event.trim() === '') return { kind: 'missing' };
  const [name, ...params] = event.split(';').map((part) => part.trim());
  if (name?.toLowerCase() !== 'refer') return { kind: 'other' };
  const id = params.find((param) => /^id\s*=/i.test(param));
  return id ? { kind: 'refer', id: id.slice(id.indexOf('=') + 1).trim() } : { kind: 'refer' };
}

/** A NOTIFY ends the subscription when its state is terminated or its sipfrag status is final. */
export function endsSubscription(subscriptionState: string | undefined, status: number): boolean {
  return status >= 200 || /^\s*terminated/i.test(subscriptionState ?? '');
}

/** The sequence number of a CSeq header (`12 REFER`), or undefined. */
export function cseqNumber(cseq: string | undefined): string | undefined {
  const match = /^\s*(\d+)\s+\S+/.exec(cseq ?? '');
  return match?.[1];
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
