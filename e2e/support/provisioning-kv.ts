// Provisioning as sip-edge sees it, written the way the provisioning service publishes it: domain, user
// (HA1 hashes only) and trunk views under their keys in the CALLCTL_PROVISIONING bucket, for tests that run
// sip-edge without the provisioning service.
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@callctl/bus';
import {
  domainKey,
  PROVISIONING_BUCKET,
  trunkKey,
  userKey,
  type DomainView,
  type TrunkView,
  type UserView,
} from '@callctl/provisioning';
import { ha1 } from '@callctl/sip';

export async function provisionDomain(nc: NatsConnection, name: string): Promise<void> {
  const kv = await new Kvm(nc).open(PROVISIONING_BUCKET);
  const view: DomainView = { name: name.toLowerCase(), updatedAtMs: Date.now() };
  await kv.put(domainKey(name), JSON.stringify(view));
}

export async function provisionUser(
  nc: NatsConnection,
  domain: string,
  username: string,
  password: string,
): Promise<void> {
  const kv = await new Kvm(nc).open(PROVISIONING_BUCKET);
  const view: UserView = {
    domain: domain.toLowerCase(),
    username,
    displayName: username,
    ha1Md5: ha1('MD5', username, domain, password),
    ha1Sha256: ha1('SHA-256', username, domain, password),
    allowedCodecs: [],
    updatedAtMs: Date.now(),
  };
  await kv.put(userKey(domain, username), JSON.stringify(view));
}

/** A trunk taking calls from `inboundSources` (CIDRs), with no gateways of its own unless given. */
export async function provisionTrunk(
  nc: NatsConnection,
  name: string,
  more: Partial<TrunkView> = {},
): Promise<void> {
  const kv = await new Kvm(nc).open(PROVISIONING_BUCKET);
  const view: TrunkView = {
    name,
    inboundSources: [],
    gateways: [],
    numberPatterns: [],
    callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
    updatedAtMs: Date.now(),
    ...more,
  };
  await kv.put(trunkKey(name), JSON.stringify(view));
}
