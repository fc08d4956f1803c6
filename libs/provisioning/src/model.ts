// The provisioning model as every sip-edge instance holds it: what the provisioning service wrote to the
// NATS KV bucket CALLCTL_PROVISIONING (one key per entity, kv-layout.ts), as JSON. PostgreSQL is the record;
// this is its published view. Secrets travel sealed (secret-box.ts) and user passwords only as HA1 hashes.

export type SipTransportName = 'udp' | 'tcp' | 'tls';

export interface GatewayView {
  host: string;
  /** Filled in: 5060, or 5061 for TLS. */
  port: number;
  transport: SipTransportName;
  priority: number;
  /** ≥ 1. */
  weight: number;
}

export interface TrunkRegistrationView {
  /** sip:host[:port][;transport=...]: where REGISTER goes (the first gateway when none was given). */
  registrarUri: string;
  /** sip:user@provider-domain */
  aor: string;
  expiresS: number;
  /** The Contact's user part; INVITEs to it are the trunk's. */
  contactUser: string;
}

export interface CallerIdView {
  fromNumber: string;
  fromDomain: string;
  stripPlus: boolean;
  prefix: string;
}

export interface TrunkView {
  name: string;
  /** Normalised CIDRs (an IP alone becomes /32 or /128). */
  inboundSources: string[];
  gateways: GatewayView[];
  /** Undefined: the trunk answers no challenge. The password is sealed (secret-box.ts). */
  outboundAuth?: { username: string; sealedPassword: string };
  /** Undefined: the trunk does not register. */
  registration?: TrunkRegistrationView;
  numberPatterns: string[];
  callerId: CallerIdView;
  /** ms since the epoch. */
  updatedAtMs: number;
}

export interface DomainView {
  name: string;
  updatedAtMs: number;
}

export interface UserView {
  domain: string;
  username: string;
  displayName: string;
  /** Lower-case hex of MD5(username:realm:password) and SHA-256(username:realm:password), realm = domain. */
  ha1Md5: string;
  ha1Sha256: string;
  allowedCodecs: string[];
  updatedAtMs: number;
}

export interface RouteView {
  name: string;
  pattern: string;
  trunk: string;
  priority: number;
  updatedAtMs: number;
}

/** Everything in CALLCTL_PROVISIONING, as one sip-edge holds it in memory. */
export interface ProvisioningSnapshot {
  trunks: ReadonlyMap<string, TrunkView>;
  domains: ReadonlyMap<string, DomainView>;
  /** By `user@domain` (domain lower-cased). */
  users: ReadonlyMap<string, UserView>;
  routes: ReadonlyMap<string, RouteView>;
}

/** A registrar binding: one contact of one AOR (CALLCTL_REGISTRAR, kv-layout.ts). */
export interface BindingView {
  /** sip:user@domain, lower-case domain. */
  aor: string;
  contactUri: string;
  expiresAtMs: number;
  /** The REGISTER's Call-ID and CSeq (RFC 3261 10.3: an older CSeq on the same Call-ID is refused). */
  callId: string;
  cseq: number;
  /** The flow the REGISTER came on: the NAT's public side, reused to reach the device. */
  transport: SipTransportName | 'ws' | 'wss';
  sourceAddress: string;
  sourcePort: number;
  userAgent: string;
  /** The sip-edge instance that accepted it. */
  instance: string;
  q?: number;
  /** RFC 5626 +sip.instance and reg-id, when given. */
  sipInstance?: string;
  regId?: number;
}

/** A trunk's registration status (CALLCTL_TRUNK_REGISTRATIONS), written by the instance holding it. */
export interface TrunkRegistrationStatusView {
  trunk: string;
  state: 'unregistered' | 'registering' | 'registered' | 'failing';
  lastStatus: number;
  lastReason: string;
  expiresAtMs?: number;
  nextAttemptAtMs?: number;
  instance: string;
  updatedAtMs: number;
}
