// drachtio-server's per-contact connection cache (controller.cpp cacheTportForSubscription /
// findTportForSubscription): when an app accepts a REGISTER or SUBSCRIBE that came over a connection, the
// connection is remembered under the Contact's `user@host` for the granted expiry; a new INVITE, OPTIONS,
// NOTIFY or MESSAGE an app sends to that Contact goes over it. A phone behind NAT accepts no connection, so
// its own is the only way to reach it, even for an app that does not name the flow (srf `proxy`).
import { parseUri, type SipRequest, type SipResponse } from '@callctl/sip';
import type { Flow } from './addressing.js';
import type { Clock, Timer } from './runtime.js';

/** Methods drachtio sends over a cached connection. */
const REACHES_REGISTERED = new Set(['INVITE', 'OPTIONS', 'NOTIFY', 'MESSAGE']);

export class RegisteredFlows {
  private readonly entries = new Map<string, { flow: Flow; timer: Timer; release?: () => void }>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The app's final answer to a REGISTER or SUBSCRIBE: a 2xx to one that came over a connection remembers
   * that connection for the granted expiry (the response Contact's `expires`, else its Expires); 0 forgets.
   */
  learn(request: SipRequest, response: SipResponse, flow: Flow): void {
    if (!flow.transport.reliable || response.status < 200 || response.status >= 300) return;
    if (request.method !== 'REGISTER' && request.method !== 'SUBSCRIBE') return;
    const contact = request.contacts[0];
    if (!contact || contact.star) return;
    const key = keyOf(contact.uri);
    if (key === undefined) return;
    const granted = response.contacts.find((c) => c.uri === contact.uri)?.expires ?? expiresOf(response);
    this.forget(key);
    if (granted === undefined || granted <= 0) return;
    // RFC 5626 §5: the flow is kept while the binding lasts; the transport's idle timeout does not end it.
    const release = flow.transport.pin?.(flow.remote);
    const timer = this.clock.after(granted * 1000, () => this.forget(key));
    this.entries.set(key, { flow, timer, release });
  }

  /** The connection to use for an app's new request to `uri`, while it is up; undefined: route as usual. */
  find(method: string, uri: string): Flow | undefined {
    if (!REACHES_REGISTERED.has(method)) return undefined;
    const key = keyOf(uri);
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (!entry) return undefined;
    return entry.flow.transport.isConnected?.(entry.flow.remote) === false ? undefined : entry.flow;
  }

  close(): void {
    for (const key of [...this.entries.keys()]) this.forget(key);
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.timer.cancel();
    entry.release?.();
    this.entries.delete(key);
  }
}

/** `user@host` of a SIP URI, host lower-cased, as drachtio keys it (no port). */
function keyOf(uri: string): string | undefined {
  try {
    const parsed = parseUri(uri);
    if (parsed.scheme === 'tel') return undefined;
    return `${parsed.user ?? ''}@${parsed.host.toLowerCase()}`;
  } catch {
    return undefined;
  }
}

function expiresOf(response: SipResponse): number | undefined {
  const value = response.get('Expires')?.trim();
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}
