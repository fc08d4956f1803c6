// The tests' client of the provisioning service (callctl.v1.Provisioning): what an operator does to connect
// a carrier and register phones, as promises. Each change resolves once it is in the NATS KV view that
// every sip-edge watches (a watch of the test's own, libs/provisioning watchProvisioning, the same code
// sip-edge runs), so that a test's next SIP message meets the platform configured.
import { credentials } from '@grpc/grpc-js';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { provisioning } from '@callctl/proto';
import {
  domainKey,
  routeKey,
  trunkKey,
  userKey,
  watchProvisioning,
  type ProvisioningView,
} from '@callctl/provisioning';
import { waitFor } from '@callctl/testing';
import { call } from './edge-under-test.js';

/** How long a change may take to reach the KV view (the service puts it right after its commit). */
const APPLIED_TIMEOUT_MS = 5000;

export interface ProvisioningApi {
  putTrunk(trunk: provisioning.DeepPartial<provisioning.Trunk>): Promise<provisioning.Trunk>;
  getTrunk(name: string): Promise<provisioning.Trunk>;
  putDomain(name: string): Promise<void>;
  /** A device's user with its password (stored by the service as digest hashes only). */
  putUser(domain: string, username: string, password: string): Promise<void>;
  putRoute(route: provisioning.DeepPartial<provisioning.Route>): Promise<void>;
  listRegistrations(domain: string, username: string): Promise<provisioning.Binding[]>;
  close(): Promise<void>;
}

/** A client of the service at `address`, watching the KV of the NATS server at `natsUrl`. */
export async function provisioningApi(address: string, natsUrl: string): Promise<ProvisioningApi> {
  const client = new provisioning.ProvisioningClient(address, credentials.createInsecure());
  const nc: NatsConnection = await connectBus({ servers: natsUrl, name: 'provisioning-e2e' });
  const view: ProvisioningView = await watchProvisioning(nc, { warn: () => undefined });
  const changed = new Set<string>();
  view.onChange((kind, key) => changed.add(key));
  /** Resolves once the KV view saw `key` change (put or delete) since it was forgotten last. */
  const applied = async (key: string) => {
    await waitFor(`${key} in the provisioning KV`, () => changed.delete(key), APPLIED_TIMEOUT_MS);
  };

  return {
    async putTrunk(trunk) {
      changed.delete(trunkKey(trunk.name ?? ''));
      const reply = await call<provisioning.PutTrunkRequest, provisioning.PutTrunkResponse>(
        (r, cb) => client.putTrunk(r, cb),
        provisioning.PutTrunkRequest.fromPartial({ trunk }),
      );
      await applied(trunkKey(reply.trunk!.name));
      return reply.trunk!;
    },
    async getTrunk(name) {
      return (
        await call<provisioning.GetTrunkRequest, provisioning.GetTrunkResponse>(
          (r, cb) => client.getTrunk(r, cb),
          { name },
        )
      ).trunk!;
    },
    async putDomain(name) {
      changed.delete(domainKey(name));
      await call<provisioning.PutDomainRequest, provisioning.PutDomainResponse>(
        (r, cb) => client.putDomain(r, cb),
        provisioning.PutDomainRequest.fromPartial({ domain: { name } }),
      );
      await applied(domainKey(name));
    },
    async putUser(domain, username, password) {
      changed.delete(userKey(domain, username));
      await call<provisioning.PutUserRequest, provisioning.PutUserResponse>(
        (r, cb) => client.putUser(r, cb),
        provisioning.PutUserRequest.fromPartial({ user: { domain, username, password } }),
      );
      await applied(userKey(domain, username));
    },
    async putRoute(route) {
      changed.delete(routeKey(route.name ?? ''));
      const reply = await call<provisioning.PutRouteRequest, provisioning.PutRouteResponse>(
        (r, cb) => client.putRoute(r, cb),
        provisioning.PutRouteRequest.fromPartial({ route }),
      );
      await applied(routeKey(reply.route!.name));
    },
    async listRegistrations(domain, username) {
      return (
        await call<provisioning.ListRegistrationsRequest, provisioning.ListRegistrationsResponse>(
          (r, cb) => client.listRegistrations(r, cb),
          { domain, username },
        )
      ).bindings;
    },
    async close() {
      client.close();
      await view.close();
      await nc.close();
    },
  };
}
