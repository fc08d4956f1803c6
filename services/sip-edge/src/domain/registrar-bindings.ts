// The registrar's binding decisions (RFC 3261 10.3, RFC 5626 5.2), pure: given a REGISTER's contacts and
// the AOR's current bindings, which bindings to store, which to drop, or why the request is refused. The
// caller (app/registrar.ts) authenticates first, reads the bindings, and applies the decision.
import type { BindingView } from '@callctl/provisioning';
import { parseContact, splitTopLevel, type Contact } from '@callctl/sip';

export interface RegistrarLimits {
  /** A contact asking for less (and not 0) gets 423 with Min-Expires. */
  minExpiresS: number;
  /** More is granted as this. */
  maxExpiresS: number;
  /** Neither the contact's expires nor an Expires header: this. */
  defaultExpiresS: number;
  /** Bindings per AOR after the REGISTER; more is 403 (the oldest are not silently dropped). */
  maxContacts: number;
}

/** Where the REGISTER came from and how it identifies itself (stored with each binding it makes). */
export type RegisterOrigin = Pick<
  BindingView,
  'callId' | 'cseq' | 'transport' | 'sourceAddress' | 'sourcePort' | 'userAgent' | 'instance'
>;

export interface RegisterInput {
  aor: string;
  /** Every Contact header value of the request, as received (several may share one header). */
  contactHeaders: readonly string[];
  /** The Expires header, if any. */
  expiresHeader?: string;
  origin: RegisterOrigin;
  current: readonly BindingView[];
  nowMs: number;
  limits: RegistrarLimits;
}

export type RegisterDecision =
  | { kind: 'refuse'; status: number; reason: string; headers?: Record<string, string> }
  | {
      kind: 'update';
      /** Bindings to write (new or refreshed). */
      put: BindingView[];
      /** Contact URIs to delete. */
      remove: string[];
      /** The AOR's bindings once applied: the 200 lists them. */
      bindings: BindingView[];
    };

const refuse = (status: number, reason: string, headers?: Record<string, string>): RegisterDecision => ({
  kind: 'refuse',
  status,
  reason,
  ...(headers ? { headers } : {}),
});

/** The contacts of a request: `*`, or each contact of each header (split at top-level commas). */
export function parseContactHeaders(headers: readonly string[]): Contact[] {
  const contacts: Contact[] = [];
  for (const header of headers)
    for (const part of splitTopLevel(header)) if (part.trim()) contacts.push(parseContact(part.trim()));
  return contacts;
}

function parseExpiresHeader(text: string | undefined): number | undefined | 'bad' {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return /^\d{1,10}$/.test(trimmed) ? Number(trimmed) : 'bad';
}

/** RFC 5626: the binding a contact replaces, by +sip.instance and reg-id, when it carries both. */
function flowKey(instance: string | undefined, regId: number | undefined): string | undefined {
  return instance !== undefined && regId !== undefined ? `${instance}\n${regId}` : undefined;
}

function paramText(contact: Contact, name: string): string | undefined {
  const value = contact.params.get(name);
  if (value === undefined || value === null) return undefined;
  return value.replace(/^"(.*)"$/, '$1');
}

/**
 * Applies a REGISTER to an AOR's bindings. No contact: a query (the current bindings). `*` with Expires 0:
 * every binding goes. Otherwise each contact is added, refreshed (expires > 0) or removed (expires 0).
 */
export function decideRegister(input: RegisterInput): RegisterDecision {
  const { origin, limits, nowMs } = input;
  let contacts: Contact[];
  try {
    contacts = parseContactHeaders(input.contactHeaders);
  } catch (error) {
    return refuse(400, `Malformed Contact: ${(error as Error).message}`);
  }
  const expiresHeader = parseExpiresHeader(input.expiresHeader);
  if (expiresHeader === 'bad') return refuse(400, 'Malformed Expires');
  const current = input.current.filter((b) => b.expiresAtMs > nowMs);
  const outOfOrder = (binding: BindingView) =>
    binding.callId === origin.callId && origin.cseq <= binding.cseq;
  if (contacts.length === 0) return { kind: 'update', put: [], remove: [], bindings: current };
  if (contacts.some((c) => c.star)) {
    if (contacts.length > 1 || expiresHeader !== 0)
      return refuse(400, 'Contact: * needs Expires: 0 and no other Contact');
    if (current.some(outOfOrder)) return refuse(500, 'Out of order CSeq');
    return { kind: 'update', put: [], remove: current.map((b) => b.contactUri), bindings: [] };
  }
  const byUri = new Map(current.map((b) => [b.contactUri, b]));
  const put = new Map<string, BindingView>();
  const remove = new Set<string>();
  for (const contact of contacts) {
    if (!/^[a-z][a-z0-9+.-]*:\S+/i.test(contact.uri)) return refuse(400, 'Contact without a URI');
    const requested = contact.expires ?? expiresHeader ?? limits.defaultExpiresS;
    if (requested !== 0 && requested < limits.minExpiresS)
      return refuse(423, 'Interval Too Brief', { 'Min-Expires': String(limits.minExpiresS) });
    const existing = byUri.get(contact.uri);
    if (existing && outOfOrder(existing)) return refuse(500, 'Out of order CSeq');
    if (requested === 0) {
      put.delete(contact.uri);
      if (existing) remove.add(contact.uri);
      continue;
    }
    const sipInstance = paramText(contact, '+sip.instance');
    const regIdText = paramText(contact, 'reg-id');
    const regId = regIdText !== undefined && /^\d+$/.test(regIdText) ? Number(regIdText) : undefined;
    const key = flowKey(sipInstance, regId);
    if (key !== undefined)
      for (const other of current)
        if (other.contactUri !== contact.uri && flowKey(other.sipInstance, other.regId) === key)
          remove.add(other.contactUri);
    remove.delete(contact.uri);
    put.set(contact.uri, {
      aor: input.aor,
      contactUri: contact.uri,
      expiresAtMs: nowMs + Math.min(requested, limits.maxExpiresS) * 1000,
      callId: origin.callId,
      cseq: origin.cseq,
      transport: origin.transport,
      sourceAddress: origin.sourceAddress,
      sourcePort: origin.sourcePort,
      userAgent: origin.userAgent,
      instance: origin.instance,
      ...(contact.q !== undefined ? { q: contact.q } : {}),
      ...(sipInstance !== undefined ? { sipInstance } : {}),
      ...(regId !== undefined ? { regId } : {}),
    });
  }
  const kept = current.filter((b) => !remove.has(b.contactUri) && !put.has(b.contactUri));
  const bindings = [...kept, ...put.values()];
  if (bindings.length > limits.maxContacts)
    return refuse(403, `Too many contacts (at most ${limits.maxContacts})`);
  return { kind: 'update', put: [...put.values()], remove: [...remove], bindings };
}

/** The 200's Contact values: each current binding with the seconds it has left (RFC 3261 10.3 step 8). */
export function contactsOfBindings(bindings: readonly BindingView[], nowMs: number): string[] {
  return bindings.map(
    (b) => `<${b.contactUri}>;expires=${Math.max(0, Math.round((b.expiresAtMs - nowMs) / 1000))}`,
  );
}
