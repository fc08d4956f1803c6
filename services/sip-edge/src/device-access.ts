// Who may reach the platform by SIP, wired: the registrar for REGISTERs and the inbound gate in front of
// every new INVITE, over the provisioning view and the binding store (NATS KV). sip-edge.ts starts it.
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { openBindingStore, type ProvisioningView } from '@callctl/provisioning';
import type { DigestAlgorithm } from '@callctl/sip';
import { parseAllowCidrs } from './domain/inbound-caller.js';
import type { RegistrarLimits } from './domain/registrar-bindings.js';
import { DeviceDigest } from './app/device-digest.js';
import { InboundGate } from './app/inbound-gate.js';
import { DEFAULT_STORE_TIMEOUT_MS, Registrar } from './app/registrar.js';
import type { SipLegs } from './app/sip-legs.js';
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

export async function startDeviceAccess(options: {
  nc: NatsConnection;
  provisioning: ProvisioningView;
  legs: SipLegs;
  instance: string;
  settings: DeviceAccessSettings;
  log: Logger;
}): Promise<DeviceAccess> {
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
    bindings: await openBindingStore(options.nc),
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
      const caller = await gate.admit(request, responder);
      if (caller) await legs.onInvite(request, responder, caller);
    },
    onRegister: (request, responder) => registrar.onRegister(request, responder),
    refusedCount: () => gate.refusedCount(),
    close: () => gate.close(),
  };
}
