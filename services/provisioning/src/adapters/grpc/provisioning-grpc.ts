// The public gRPC side: callctl.v1.Provisioning and grpc.health.v1.Health on one port, with the same
// security as CallControl's public port (TLS, API_AUTH=token with API_TOKENS_FILE, scopes
// provisioning:read / provisioning:write).
import type { Logger } from '@callctl/logging';
import { startPublicGrpcServer, type HealthRegistry, type ServerTlsFiles } from '@callctl/service';
import type { ProvisioningCore } from '../../app/provisioning.js';
import type { ProvisioningStore, ResourceSource } from '../../app/ports.js';
import { provisioningScopeOf } from './method-scopes.js';
import { provisioningService } from './provisioning-service.js';

export interface ProvisioningGrpcOptions {
  host: string;
  port: number;
  healthPort?: number | undefined;
  core: ProvisioningCore;
  store: ProvisioningStore;
  resources: ResourceSource;
  /** TLS on the port (config publicTls). @default plain */
  tls?: ServerTlsFiles | undefined;
  /** API_AUTH=token: the credentials file (config apiTokensFile). @default no authentication */
  apiTokensFile?: string | undefined;
  /** How long in-flight calls may finish at close. @default libs/service's */
  drainMs?: number;
  log: Logger;
}

export interface ProvisioningGrpc {
  readonly address: string;
  readonly port: number;
  readonly health: HealthRegistry;
  close(): Promise<void>;
}

export async function startProvisioningGrpc(options: ProvisioningGrpcOptions): Promise<ProvisioningGrpc> {
  const { log } = options;
  return startPublicGrpcServer({
    apiTokensFile: options.apiTokensFile,
    scopeOf: provisioningScopeOf,
    log,
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.healthPort !== undefined ? { healthPort: options.healthPort } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
    services: [
      provisioningService({
        core: options.core,
        store: options.store,
        resources: options.resources,
        authenticated: options.apiTokensFile !== undefined,
        log: log.child({ module: 'grpc' }),
      }),
    ],
  });
}
