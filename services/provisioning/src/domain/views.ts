// The published views (libs/provisioning model.ts) as the API returns them (proto), and as the audit keeps
// them: what the audit and the API show never holds a secret or a hash.
import type {
  BindingView,
  DomainView,
  GatewayView,
  RouteView,
  TrunkRegistrationStatusView,
  TrunkView,
  UserView,
} from '@callctl/provisioning';
import { provisioning } from '@callctl/proto';

const TRANSPORTS = {
  udp: provisioning.SipTransport.SIP_TRANSPORT_UDP,
  tcp: provisioning.SipTransport.SIP_TRANSPORT_TCP,
  tls: provisioning.SipTransport.SIP_TRANSPORT_TLS,
} as const;

export const transportOf = (name: string): provisioning.SipTransport =>
  TRANSPORTS[name as keyof typeof TRANSPORTS] ?? provisioning.SipTransport.SIP_TRANSPORT_UNSPECIFIED;

export const gatewayMessage = (g: GatewayView): provisioning.Gateway => ({
  host: g.host,
  port: g.port,
  transport: transportOf(g.transport),
  priority: g.priority,
  weight: g.weight,
});

const STATES = {
  unregistered: provisioning.RegistrationState.REGISTRATION_STATE_UNREGISTERED,
  registering: provisioning.RegistrationState.REGISTRATION_STATE_REGISTERING,
  registered: provisioning.RegistrationState.REGISTRATION_STATE_REGISTERED,
  failing: provisioning.RegistrationState.REGISTRATION_STATE_FAILING,
} as const;

const dateOf = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

export function registrationStatusMessage(
  status: TrunkRegistrationStatusView | undefined,
): provisioning.TrunkRegistrationStatus {
  if (!status)
    return {
      state: provisioning.RegistrationState.REGISTRATION_STATE_UNREGISTERED,
      lastStatus: 0,
      lastReason: '',
      instance: '',
    };
  return {
    state: STATES[status.state],
    lastStatus: status.lastStatus,
    lastReason: status.lastReason,
    expiresAt: dateOf(status.expiresAtMs),
    nextAttemptAt: dateOf(status.nextAttemptAtMs),
    instance: status.instance,
    updatedAt: dateOf(status.updatedAtMs),
  };
}

export function trunkMessage(view: TrunkView, status?: TrunkRegistrationStatusView): provisioning.Trunk {
  return {
    name: view.name,
    inboundSources: view.inboundSources,
    gateways: view.gateways.map(gatewayMessage),
    outboundAuth: view.outboundAuth
      ? { username: view.outboundAuth.username, password: '', hasPassword: true }
      : undefined,
    registration: view.registration
      ? {
          enabled: true,
          registrarUri: view.registration.registrarUri,
          aor: view.registration.aor,
          expiresS: view.registration.expiresS,
          contactUser: view.registration.contactUser,
        }
      : { enabled: false, registrarUri: '', aor: '', expiresS: 0, contactUser: '' },
    numberPatterns: view.numberPatterns,
    callerId: { ...view.callerId },
    updatedAt: new Date(view.updatedAtMs),
    registrationStatus: view.registration ? registrationStatusMessage(status) : undefined,
  };
}

export const domainMessage = (view: DomainView): provisioning.Domain => ({
  name: view.name,
  updatedAt: new Date(view.updatedAtMs),
});

export const userMessage = (view: UserView): provisioning.User => ({
  domain: view.domain,
  username: view.username,
  password: '',
  displayName: view.displayName,
  allowedCodecs: view.allowedCodecs,
  updatedAt: new Date(view.updatedAtMs),
});

export const routeMessage = (view: RouteView): provisioning.Route => ({
  name: view.name,
  pattern: view.pattern,
  trunk: view.trunk,
  priority: view.priority,
  updatedAt: new Date(view.updatedAtMs),
});

export const bindingMessage = (b: BindingView): provisioning.Binding => ({
  aor: b.aor,
  contactUri: b.contactUri,
  expiresAt: new Date(b.expiresAtMs),
  transport: b.transport,
  sourceAddress: b.sourceAddress,
  sourcePort: b.sourcePort,
  userAgent: b.userAgent,
  instance: b.instance,
  sipInstance: b.sipInstance ?? '',
  regId: b.regId ?? 0,
});

const REDACTED = '[redacted]';

/** What the audit keeps of an entity: its view, with sealed secrets and digest hashes replaced. */
export function auditedView(view: TrunkView | DomainView | UserView | RouteView): object {
  if ('ha1Md5' in view) return { ...view, ha1Md5: REDACTED, ha1Sha256: REDACTED };
  if ('outboundAuth' in view && view.outboundAuth)
    return { ...view, outboundAuth: { username: view.outboundAuth.username, sealedPassword: REDACTED } };
  return view;
}
