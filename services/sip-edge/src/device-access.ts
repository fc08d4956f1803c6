// Who may reach the platform by SIP, wired: the registrar for REGISTERs and the inbound gate in front of
// every new INVITE, over the provisioning view and the binding store (NATS KV). sip-edge.ts starts it.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import type { BindingStore, ProvisioningView } from '@callctl/provisioning';
import type { DigestAlgorithm } from '@callctl/sip';
import { parseAllowCidrs } from './domain/inbound-caller.js';
import type { RegistrarLimits } from './domain/registrar-bindings.js';
import { DeviceDigest } from './app/device-digest.js';
import { InboundGate } from './app/inbound-gate.js';
import { DEFAULT_STORE_TIMEOUT_MS, Registrar } from './app/registrar.js';
import type { SipLegs } from './app/sip-legs.js';
import { sendFinal } from './app/sip-response.js';
import type { ReceivedRequest, SipResponder } from './app/sip-stack.js';

export interface DeviceAccessSettings {
  /** INBOUND_ALLOW_CIDRS, as configured (comma-separated). */
  allowCidrs: string;
  /** INBOUND_REJECT_STATUS. */
  rejectStatus: number;
  /** REGISTRAR_NONCE_SECRET; unset: random per process (right for one instance only). */
  nonceSecret?: string;
  nonceTtlMs: number;
  algorithms: readonly DigestAlgorithm[];
  limits: RegistrarLimits;
}

export interface DeviceAccess {
  onInvite(request: ReceivedRequest, responder: SipResponder): Promise<void>;
  onRegister(request: ReceivedRequest, responder: SipResponder): Promise<void>;
  /** INVITEs refused from unknown sources so far. */
  refusedCount(): number;
  close(): void;
}

export function startDeviceAccess(options: {
  provisioning: ProvisioningView;
  /** The registrar's bindings (CALLCTL_REGISTRAR). */
  bindings: BindingStore;
  legs: SipLegs;
  instance: string;
  settings: DeviceAccessSettings;
  log: Logger;
}): DeviceAccess {
  const { settings, log, provisioning, legs } = options;
  let nonceSecret = settings.nonceSecret;
  if (!nonceSecret) {
    nonceSecret = randomBytes(32).toString('base64url');
    log.warn(
      'REGISTRAR_NONCE_SECRET is unset: nonces are this process’s own, so other sip-edge instances refuse them',
    );
  }
  const now = () => Date.now();
  const digest = new DeviceDigest({
    policy: { algorithms: settings.algorithms, nonceSecret, nonceTtlMs: settings.nonceTtlMs },
    provisioning,
    now,
    log: log.child({ module: 'digest' }),
  });
  const registrar = new Registrar({
    provisioning,
    bindings: options.bindings,
    digest,
    limits: settings.limits,
    instance: options.instance,
    storeTimeoutMs: DEFAULT_STORE_TIMEOUT_MS,
    log: log.child({ module: 'registrar' }),
    now,
  });
  const gate = new InboundGate({
    provisioning,
    digest,
    allowCidrs: parseAllowCidrs(settings.allowCidrs),
    rejectStatus: settings.rejectStatus,
    log: log.child({ module: 'inbound-gate' }),
    random: Math.random,
  });
  return {
    async onInvite(request, responder) {
      // A draining instance refuses with 503 before any challenge: the caller should try another one.
      if (legs.draining()) return legs.onInvite(request, responder);
      const caller = await answeringFailures(responder, () => gate.admit(request, responder));
      if (caller) await legs.onInvite(request, responder, caller);
    },
    onRegister: (request, responder) =>
      answeringFailures(responder, () => registrar.onRegister(request, responder)),
    refusedCount: () => gate.refusedCount(),
    close: () => gate.close(),
  };
}

/**
 * Runs the decision; if it fails before answering, the request gets 500 at once (rather than the engine's
 * own after 32 s) and the error goes on to the caller's log.
 */
async function answeringFailures<T>(
  responder: SipResponder,
  decide: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await decide();
  } catch (error) {
    if (!responder.finalResponseSent) await sendFinal(responder, 500).catch(() => undefined);
    throw error;
  }
}
