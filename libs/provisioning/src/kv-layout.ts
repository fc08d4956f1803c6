// Where the provisioning model lives in NATS KV. Keys are `<kind>.<token>`; a token is the name where KV
// allows it ([A-Za-z0-9_-]), else base64url of it, so any user name or domain fits (KV keys allow only
// [-/_=.a-zA-Z0-9] and `.` separates tokens).

/** Trunks, domains, users, routes: written by the provisioning service, watched by every sip-edge. */
export const PROVISIONING_BUCKET = 'CALLCTL_PROVISIONING';
/**
 * Registrar bindings: written by the sip-edge that accepted the REGISTER, read by every sip-edge to reach a
 * user. Soft state, as a registrar's location table is: devices re-register within their expiry, so a
 * binding lost with NATS comes back by itself; the bucket's max age bounds what a crash can leave.
 */
export const REGISTRAR_BUCKET = 'CALLCTL_REGISTRAR';
export const REGISTRAR_BUCKET_MAX_AGE_MS = 24 * 3600_000;
/** Trunk registration status (`status.<trunk>`), written by the instance holding the registration. */
export const TRUNK_REGISTRATIONS_BUCKET = 'CALLCTL_TRUNK_REGISTRATIONS';
/** Which instance registers a trunk: `lease.<trunk>`, refreshed well within the bucket's max age. */
export const TRUNK_LEASES_BUCKET = 'CALLCTL_TRUNK_LEASES';
export const TRUNK_LEASE_MAX_AGE_MS = 30_000;

export type ProvisioningKind = 'trunk' | 'domain' | 'user' | 'route';

/** One token of a KV key for any text. */
export function keyToken(text: string): string {
  return /^[A-Za-z0-9_-]+$/.test(text) ? text : `=${Buffer.from(text, 'utf8').toString('base64url')}`;
}

export function keyTokenText(token: string): string {
  return token.startsWith('=') ? Buffer.from(token.slice(1), 'base64url').toString('utf8') : token;
}

export const trunkKey = (name: string) => `trunk.${keyToken(name)}`;
export const domainKey = (name: string) => `domain.${keyToken(name.toLowerCase())}`;
export const userKey = (domain: string, username: string) =>
  `user.${keyToken(domain.toLowerCase())}.${keyToken(username)}`;
export const routeKey = (name: string) => `route.${keyToken(name)}`;

/** The AOR's bindings share the prefix `binding.<aor>.`; each contact is one key under it. */
export const bindingPrefix = (aor: string) => `binding.${keyToken(aor)}`;
export const bindingKey = (aor: string, contactId: string) => `${bindingPrefix(aor)}.${keyToken(contactId)}`;

export const trunkStatusKey = (trunk: string) => `status.${keyToken(trunk)}`;
export const trunkLeaseKey = (trunk: string) => `lease.${keyToken(trunk)}`;

/** The kind of a CALLCTL_PROVISIONING key, or undefined for a key this version does not know. */
export function kindOfKey(key: string): ProvisioningKind | undefined {
  const kind = key.split('.', 1)[0];
  return kind === 'trunk' || kind === 'domain' || kind === 'user' || kind === 'route' ? kind : undefined;
}
