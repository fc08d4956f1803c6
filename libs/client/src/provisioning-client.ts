// The promise client of the public callctl.v1.Provisioning API (the provisioning service, its own address:
// default 127.0.0.1:50059). Same conventions as the other clients (ClientOptions, CallOptions,
// GrpcStatusError); types come from the generated service definition.
import { provisioning } from '@callctl/proto';
import { connectionOf } from './client-connection.js';
import { DEFAULT_DEADLINE_MS, type CallOptions, type ClientOptions } from './client-options.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { unaryMethods, waitForReady } from './unary-call.js';

type Definition = typeof provisioning.ProvisioningService;

export type ProvisioningMethod = keyof Definition;
type WireRequestOf<M extends ProvisioningMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/** What a method takes: fields left out get their proto3 defaults. */
export type ProvisioningRequestOf<M extends ProvisioningMethod> = provisioning.DeepPartial<WireRequestOf<M>>;
export type ProvisioningResponseOf<M extends ProvisioningMethod> = ReturnType<
  Definition[M]['responseDeserialize']
>;

const REQUEST_TYPES: { readonly [M in ProvisioningMethod]: provisioning.MessageFns<WireRequestOf<M>> } = {
  putTrunk: provisioning.PutTrunkRequest,
  getTrunk: provisioning.GetTrunkRequest,
  listTrunks: provisioning.ListTrunksRequest,
  deleteTrunk: provisioning.DeleteTrunkRequest,
  putDomain: provisioning.PutDomainRequest,
  listDomains: provisioning.ListDomainsRequest,
  deleteDomain: provisioning.DeleteDomainRequest,
  putUser: provisioning.PutUserRequest,
  getUser: provisioning.GetUserRequest,
  listUsers: provisioning.ListUsersRequest,
  deleteUser: provisioning.DeleteUserRequest,
  putRoute: provisioning.PutRouteRequest,
  listRoutes: provisioning.ListRoutesRequest,
  deleteRoute: provisioning.DeleteRouteRequest,
  resolveRoute: provisioning.ResolveRouteRequest,
  listAudit: provisioning.ListAuditRequest,
  listRegistrations: provisioning.ListRegistrationsRequest,
  getMediaResources: provisioning.GetMediaResourcesRequest,
};

type UnaryMethods = {
  readonly [M in ProvisioningMethod]: (
    request: ProvisioningRequestOf<M>,
    options?: CallOptions,
  ) => Promise<ProvisioningResponseOf<M>>;
};

/** Provisioning as promises (the methods are bound); the reads are retried on UNAVAILABLE. */
export interface ProvisioningClient extends UnaryMethods {
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/** As every client of the public API; `address` is the provisioning service's. */
export type ProvisioningClientOptions = ClientOptions;

export function createProvisioningClient(options: ProvisioningClientOptions): ProvisioningClient {
  const connection = connectionOf(options);
  const client = new provisioning.ProvisioningClient(options.address, connection.credentials);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const unary = unaryMethods<UnaryMethods>({
    client,
    definition: provisioning.ProvisioningService,
    requestTypes: REQUEST_TYPES,
    connection,
    retry,
    deadlineMs: () => deadlineMs,
  });
  return {
    ...unary,
    waitForReady: (timeoutMs) => waitForReady(client, options.address, timeoutMs),
    close: () => client.close(),
  };
}
