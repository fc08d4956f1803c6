// The tests' side of the provisioning service (callctl.v1.Provisioning): the public promise client
// (libs/client), and puts that resolve once the change is in the NATS KV view every sip-edge watches (a
// watch of the test's own, libs/provisioning watchProvisioning, the same code sip-edge runs), so that a
// test's next SIP message meets the platform configured.
import { createProvisioningClient, NO_RETRIES, type ProvisioningClient } from '@callctl/client';
import { connectBus, type NatsConnection } from '@callctl/bus';
import type { provisioning } from '@callctl/proto';
import { domainKey, routeKey, trunkKey, userKey, watchProvisioning } from '@callctl/provisioning';
import { waitFor } from '@callctl/testing';

/** How long a change may take to reach the KV view (the service puts it right after its commit). */
const APPLIED_TIMEOUT_MS = 5000;
const API_DEADLINE_MS = 10_000;

export interface ProvisioningApi {
  /** Every method of the API, each called once (no retries): a test asserts what one call answers. */
  client: ProvisioningClient;
  putTrunk(trunk: provisioning.DeepPartial<provisioning.Trunk>): Promise<provisioning.Trunk>;
  putDomain(name: string): Promise<void>;
  /** A device's user with its password (stored by the service as digest hashes only). */
  putUser(domain: string, username: string, password: string): Promise<void>;
  putRoute(route: provisioning.DeepPartial<provisioning.Route>): Promise<void>;
  listRegistrations(domain: string, username: string): Promise<provisioning.Binding[]>;
  close(): Promise<void>;
}

/** A client of the service at `address`, watching the KV of the NATS server at `natsUrl`. */
export async function provisioningApi(address: string, natsUrl: string): Promise<ProvisioningApi> {
  const client = createProvisioningClient({ address, deadlineMs: API_DEADLINE_MS, retry: NO_RETRIES });
  const nc: NatsConnection = await connectBus({ servers: natsUrl, name: 'provisioning-e2e' });
  const view = await watchProvisioning(nc, { warn: () => undefined });
  const changed = new Set<string>();
  view.onChange((_kind, key) => changed.add(key));
  /** Runs `put`, then waits until the KV view saw `key` change. */
  const applied = async <T>(key: string, put: () => Promise<T>): Promise<T> => {
    changed.delete(key);
    const result = await put();
    await waitFor(`${key} in the provisioning KV`, () => changed.delete(key), APPLIED_TIMEOUT_MS);
    return result;
  };

  return {
    client,
    putTrunk: async (trunk) =>
      (await applied(trunkKey(trunk.name ?? ''), () => client.putTrunk({ trunk }))).trunk!,
    putDomain: (name) =>
      applied(domainKey(name), async () => void (await client.putDomain({ domain: { name } }))),
    putUser: (domain, username, password) =>
      applied(userKey(domain, username), async () => {
        await client.putUser({ user: { domain, username, password } });
      }),
    putRoute: (route) =>
      applied(routeKey(route.name ?? ''), async () => void (await client.putRoute({ route }))),
    listRegistrations: async (domain, username) =>
      (await client.listRegistrations({ domain, username })).bindings,
    async close() {
      client.close();
      await view.close();
      await nc.close();
    },
  };
}
