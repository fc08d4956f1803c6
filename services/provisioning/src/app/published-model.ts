// The published model: which key and JSON each entity has in CALLCTL_PROVISIONING (kv-layout.ts), and the
// reconciliation that makes the bucket match the record again.
import {
  domainKey,
  kindOfKey,
  routeKey,
  trunkKey,
  userKey,
  type DomainView,
  type RouteView,
  type TrunkView,
  type UserView,
} from '@callctl/provisioning';
import type { ModelPublisher, ProvisioningStore } from './ports.js';

export const keyOfTrunk = (v: TrunkView) => trunkKey(v.name);
export const keyOfDomain = (v: DomainView) => domainKey(v.name);
export const keyOfUser = (v: UserView) => userKey(v.domain, v.username);
export const keyOfRoute = (v: RouteView) => routeKey(v.name);

/** Every entity of the record by its key, as the JSON published for it. */
export async function expectedModel(store: ProvisioningStore): Promise<Map<string, string>> {
  const [trunks, domains, users, routes] = await Promise.all([
    store.trunks(),
    store.domains(),
    store.users(),
    store.routes(),
  ]);
  return new Map<string, string>([
    ...trunks.map((v) => [keyOfTrunk(v), JSON.stringify(v)] as const),
    ...domains.map((v) => [keyOfDomain(v), JSON.stringify(v)] as const),
    ...users.map((v) => [keyOfUser(v), JSON.stringify(v)] as const),
    ...routes.map((v) => [keyOfRoute(v), JSON.stringify(v)] as const),
  ]);
}

export interface ReconcileOutcome {
  put: number;
  deleted: number;
}

/**
 * Puts what the bucket lacks or holds differently, deletes what the record no longer has. Keys of kinds
 * this version does not know are left alone (a newer writer's). The bucket is read before the record:
 * every commit publishes after it commits, so a value in the bucket the record lacks was deleted. Each
 * write is conditional on the revision read, so a replica's publish in between (newer than this read) is
 * never overwritten or deleted.
 */
export async function reconcileModel(
  store: ProvisioningStore,
  publisher: ModelPublisher,
): Promise<ReconcileOutcome> {
  const published = await publisher.entries();
  const expected = await expectedModel(store);
  let put = 0;
  let deleted = 0;
  for (const [key, json] of expected) {
    const entry = published.get(key);
    if (entry?.json === json) continue;
    if (await publisher.putIfUnchanged(key, json, entry?.revision)) put += 1;
  }
  for (const [key, entry] of published) {
    if (expected.has(key) || kindOfKey(key) === undefined) continue;
    if (await publisher.deleteIfUnchanged(key, entry.revision)) deleted += 1;
  }
  return { put, deleted };
}
