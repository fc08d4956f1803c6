// callctl.v1.Provisioning over the core: request checks (domain/*.ts name the field), the actor of each
// change, and the core's views as messages. No state of its own.
import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { provisioning } from '@callctl/proto';
import { PRINCIPAL_METADATA, unaryHandler, type ServiceBinding } from '@callctl/service';
import type { ProvisioningCore } from '../../app/provisioning.js';
import type { ProvisioningStore, ResourceSource } from '../../app/ports.js';
import { domainNameOf, userDraftOf, usernameOf } from '../../domain/directory.js';
import { checkName, invalid } from '../../domain/fields.js';
import { routeDraftOf } from '../../domain/route.js';
import { trunkDraftOf } from '../../domain/trunk.js';
import {
  bindingMessage,
  domainMessage,
  gatewayMessage,
  routeMessage,
  transportOf,
  trunkMessage,
  userMessage,
} from '../../domain/views.js';

export const PROVISIONING_SERVICE = 'callctl.v1.Provisioning';
export const ANONYMOUS = 'anonymous';
/** ListAudit limit: 0 = this many; more than MAX_AUDIT_LIMIT is refused. */
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;

export interface ProvisioningServiceDeps {
  core: ProvisioningCore;
  store: ProvisioningStore;
  resources: ResourceSource;
  /** The port authenticates callers (apiAuth): only then is the principal metadata theirs. */
  authenticated: boolean;
  log: Logger;
}

const { ResolveRouteResponse_Kind: Kind } = provisioning;

export function provisioningService(deps: ProvisioningServiceDeps): ServiceBinding {
  const { core, store } = deps;
  const unary = unaryHandler(deps.log);
  const actorOf = (call: ServerUnaryCall<unknown, unknown>): string => {
    if (!deps.authenticated) return ANONYMOUS;
    const [name] = call.metadata.get(PRINCIPAL_METADATA);
    return typeof name === 'string' && name ? name : ANONYMOUS;
  };

  const implementation = {
    putTrunk: unary(async (r: provisioning.PutTrunkRequest, call): Promise<provisioning.PutTrunkResponse> => {
      const stored = await core.putTrunk(trunkDraftOf(r.trunk), actorOf(call));
      return { trunk: trunkMessage(stored.view), created: !stored.before };
    }),
    getTrunk: unary(async (r: provisioning.GetTrunkRequest): Promise<provisioning.GetTrunkResponse> => {
      const { view, status } = await core.getTrunk(checkName('name', r.name));
      return { trunk: trunkMessage(view, status) };
    }),
    listTrunks: unary(async (): Promise<provisioning.ListTrunksResponse> => ({
      trunks: (await store.trunks()).map((t) => trunkMessage(t)),
    })),
    deleteTrunk: unary(async (r: provisioning.DeleteTrunkRequest, call) => {
      await core.deleteTrunk(checkName('name', r.name), actorOf(call));
      return {};
    }),

    putDomain: unary(
      async (r: provisioning.PutDomainRequest, call): Promise<provisioning.PutDomainResponse> => {
        if (!r.domain) throw invalid('domain', 'required');
        const stored = await core.putDomain(domainNameOf('domain.name', r.domain.name), actorOf(call));
        return { domain: domainMessage(stored.view), created: !stored.before };
      },
    ),
    listDomains: unary(async (): Promise<provisioning.ListDomainsResponse> => ({
      domains: (await store.domains()).map(domainMessage),
    })),
    deleteDomain: unary(async (r: provisioning.DeleteDomainRequest, call) => {
      await core.deleteDomain(domainNameOf('name', r.name), actorOf(call));
      return {};
    }),

    putUser: unary(async (r: provisioning.PutUserRequest, call): Promise<provisioning.PutUserResponse> => {
      const stored = await core.putUser(userDraftOf(r.user), actorOf(call));
      return { user: userMessage(stored.view), created: !stored.before };
    }),
    getUser: unary(async (r: provisioning.GetUserRequest): Promise<provisioning.GetUserResponse> => {
      const view = await core.getUser(domainNameOf('domain', r.domain), usernameOf('username', r.username));
      return { user: userMessage(view) };
    }),
    listUsers: unary(async (r: provisioning.ListUsersRequest): Promise<provisioning.ListUsersResponse> => {
      const users = await store.users(r.domain ? domainNameOf('domain', r.domain) : undefined);
      return { users: users.map(userMessage) };
    }),
    deleteUser: unary(async (r: provisioning.DeleteUserRequest, call) => {
      await core.deleteUser(
        domainNameOf('domain', r.domain),
        usernameOf('username', r.username),
        actorOf(call),
      );
      return {};
    }),

    putRoute: unary(async (r: provisioning.PutRouteRequest, call): Promise<provisioning.PutRouteResponse> => {
      const stored = await core.putRoute(routeDraftOf(r.route), actorOf(call));
      return { route: routeMessage(stored.view), created: !stored.before };
    }),
    listRoutes: unary(async (): Promise<provisioning.ListRoutesResponse> => ({
      routes: (await store.routes()).map(routeMessage),
    })),
    deleteRoute: unary(async (r: provisioning.DeleteRouteRequest, call) => {
      await core.deleteRoute(checkName('name', r.name), actorOf(call));
      return {};
    }),

    resolveRoute: unary(
      async (r: provisioning.ResolveRouteRequest): Promise<provisioning.ResolveRouteResponse> => {
        if (!r.target) throw invalid('target', 'required');
        const decision = await core.resolve(r.target);
        const empty = { trunk: '', route: '', gateways: [], requestUri: '', contacts: [] };
        switch (decision.kind) {
          case 'direct':
            return { ...empty, kind: Kind.KIND_DIRECT, requestUri: decision.uri };
          case 'trunk':
            return {
              ...empty,
              kind: Kind.KIND_TRUNK,
              trunk: decision.trunk.name,
              route: decision.route,
              gateways: decision.attempts.map((a) => gatewayMessage(a.gateway)),
              requestUri: decision.attempts[0]?.requestUri ?? '',
            };
          case 'user':
            return {
              ...empty,
              kind: Kind.KIND_USER,
              requestUri: decision.aor,
              contacts: (await core.bindings(decision.aor)).map(bindingMessage),
            };
        }
      },
    ),

    listAudit: unary(async (r: provisioning.ListAuditRequest): Promise<provisioning.ListAuditResponse> => {
      if (r.limit > MAX_AUDIT_LIMIT) throw invalid('limit', `at most ${MAX_AUDIT_LIMIT} (got ${r.limit})`);
      if (r.beforeId < 0) throw invalid('before_id', 'must not be negative');
      const rows = await store.audit({
        ...(r.kind ? { kind: r.kind } : {}),
        ...(r.key ? { key: r.key } : {}),
        limit: r.limit || DEFAULT_AUDIT_LIMIT,
        ...(r.beforeId ? { beforeId: r.beforeId } : {}),
      });
      return {
        entries: rows.map((a) => ({
          id: a.id,
          at: a.at,
          actor: a.actor,
          action: a.action,
          kind: a.kind,
          key: a.key,
          beforeJson: a.before ? JSON.stringify(a.before) : '',
          afterJson: a.after ? JSON.stringify(a.after) : '',
        })),
      };
    }),

    listRegistrations: unary(
      async (r: provisioning.ListRegistrationsRequest): Promise<provisioning.ListRegistrationsResponse> => {
        const domain = domainNameOf('domain', r.domain);
        const aor = `sip:${usernameOf('username', r.username)}@${domain}`;
        return { bindings: (await core.bindings(aor)).map(bindingMessage) };
      },
    ),

    getMediaResources: unary(async (): Promise<provisioning.GetMediaResourcesResponse> => ({
      signalling: deps.resources.signalling().map((a) => ({
        instance: a.instance,
        transport: transportOf(a.transport),
        host: a.host,
        port: a.port,
      })),
      media: deps.resources.media(),
    })),
  };
  return {
    name: PROVISIONING_SERVICE,
    definition: provisioning.ProvisioningService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
