// The registrar (RFC 3261 10.3): a REGISTER for a user of a platform domain is authenticated with digest
// (401), its contacts applied to the AOR's bindings (domain/registrar-bindings), and answered 200 with every
// current contact and its expiry. Bindings live in NATS KV (BindingStore), so every sip-edge instance reaches
// the device through the flow it registered on.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@callctl/logging';
import type { BindingStore, BindingView, ProvisioningView, SipTransportName } from '@callctl/provisioning';
import { parseNameAddr, parseUri } from '@callctl/sip';
import { TimeoutError } from '../domain/errors.js';
import { contactsOfBindings, decideRegister, type RegistrarLimits } from '../domain/registrar-bindings.js';
import { outboundHeaders } from '../domain/registrar-outbound.js';
import type { DeviceDigest } from './device-digest.js';
import { sendFinal, warningHeader } from './sip-response.js';
import type { ReceivedRequest, SipResponder } from './sip-stack.js';

export interface RegistrarOptions {
  provisioning: ProvisioningView;
  bindings: BindingStore;
  digest: DeviceDigest;
  limits: RegistrarLimits;
  /** This sip-edge instance, recorded with each binding it accepts. */
  instance: string;
  /** Longest wait for the binding store (NATS KV) per REGISTER; past it: 500 with Retry-After. */
  storeTimeoutMs: number;
  log: Logger;
  now: () => number;
}

/** @default 5 s: a device retries a REGISTER that got no answer, so waiting longer only holds it up. */
export const DEFAULT_STORE_TIMEOUT_MS = 5000;

const TRANSPORTS = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** sip:user@domain (domain lower-cased) of a To header, or undefined when it has no user. */
export function aorOf(toHeader: string): { aor: string; user: string; domain: string } | undefined {
  try {
    const uri = parseUri(parseNameAddr(toHeader).uri);
    if (!uri.user || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return undefined;
    const domain = uri.host.toLowerCase();
    return { aor: `sip:${uri.user}@${domain}`, user: uri.user, domain };
  } catch {
    return undefined;
  }
}

export class Registrar {
  constructor(private readonly options: RegistrarOptions) {}

  async onRegister(request: ReceivedRequest, responder: SipResponder): Promise<void> {
    const { log } = this.options;
    const target = aorOf(request.get('To') ?? '');
    if (!target) {
      await sendFinal(responder, 400, 'Bad To', warningHeader('To must be a sip: URI with a user'));
      return;
    }
    if (!this.options.provisioning.platformDomains().has(target.domain)) {
      await sendFinal(responder, 404, 'Not Found', warningHeader(`${target.domain} is not served here`));
      return;
    }
    const outcome = this.options.digest.check(request, 'registrar', target.domain, target.user);
    if (outcome.kind !== 'authenticated') {
      await this.options.digest.answer(responder, 'registrar', target.domain, outcome);
      return;
    }
    const nowMs = this.options.now();
    let stored: BindingView[];
    try {
      stored = await this.store('read bindings', this.options.bindings.list(target.aor, nowMs));
    } catch (error) {
      return this.storeFailed(responder, target.aor, error);
    }
    const decision = decideRegister({
      aor: target.aor,
      contactHeaders: request.has('Contact') ? [request.get('Contact') ?? ''] : [],
      ...(request.has('Expires') ? { expiresHeader: request.get('Expires') ?? '' } : {}),
      origin: {
        callId: request.get('Call-ID') ?? '',
        cseq: Number.parseInt(request.get('CSeq') ?? '0', 10) || 0,
        transport: transportOf(request.protocol),
        sourceAddress: request.source_address,
        sourcePort: request.source_port,
        userAgent: request.get('User-Agent') ?? '',
        instance: this.options.instance,
      },
      current: stored,
      nowMs,
      limits: this.options.limits,
    });
    if (decision.kind === 'refuse') {
      log.debug({ aor: target.aor, status: decision.status, reason: decision.reason }, 'REGISTER refused');
      await sendFinal(responder, decision.status, decision.reason, {
        ...decision.headers,
        ...warningHeader(decision.reason),
      });
      return;
    }
    try {
      const { bindings } = this.options;
      await this.store(
        'write bindings',
        Promise.all([
          ...decision.remove.map((uri) => bindings.remove(target.aor, uri)),
          ...decision.put.map((binding) => bindings.put(binding)),
        ]),
      );
    } catch (error) {
      return this.storeFailed(responder, target.aor, error);
    }
    if (decision.put.length > 0 || decision.remove.length > 0)
      log.info(
        {
          aor: target.aor,
          added: decision.put.map((b) => b.contactUri),
          removed: decision.remove,
          source: `${request.source_address}:${request.source_port}`,
        },
        'registration updated',
      );
    const contacts = contactsOfBindings(decision.bindings, nowMs);
    await sendFinal(responder, 200, 'OK', {
      ...(contacts.length > 0 ? { Contact: contacts.join(', ') } : {}),
      Date: new Date(nowMs).toUTCString(),
      ...outboundHeaders({ supported: request.get('Supported'), contact: request.get('Contact') }),
    });
  }

  /** The store's answer, or a TimeoutError after storeTimeoutMs (the KV operation itself may still land). */
  private async store<T>(what: string, work: Promise<T>): Promise<T> {
    const ms = this.options.storeTimeoutMs;
    const cancel = new AbortController();
    const expiry = sleep(ms, undefined, { signal: cancel.signal }).then((): never => {
      throw new TimeoutError(`${what} took longer than ${ms} ms`);
    });
    expiry.catch(() => undefined);
    try {
      return await Promise.race([work, expiry]);
    } finally {
      cancel.abort();
    }
  }

  private async storeFailed(responder: SipResponder, aor: string, error: unknown): Promise<void> {
    this.options.log.warn({ err: error, aor }, 'binding store failed; REGISTER refused');
    await sendFinal(responder, 500, 'Registrar Store Unavailable', { 'Retry-After': '5' });
  }
}

function transportOf(protocol: string | undefined): SipTransportName | 'ws' | 'wss' {
  const name = (protocol ?? 'udp').toLowerCase();
  return (TRANSPORTS.has(name) ? name : 'udp') as SipTransportName | 'ws' | 'wss';
}
