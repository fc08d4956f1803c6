import {
  Server,
  ServerCredentials,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { health } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { serverCredentials, type ServerTlsFiles } from './grpc-credentials.js';
import { HealthRegistry } from './health.js';

export interface ServiceBinding {
  /** Full name as in the proto, e.g. `callctl.media.v1.MediaWorker`; it is the health-check key. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  log: Logger;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port; the chosen one is in the result. */
  port: number;
  services: readonly ServiceBinding[];
  /** How long in-flight calls may finish before they are cancelled. @default 5000 */
  drainMs?: number;
  /** TLS on the port (and client certificates, with clientCaFile). @default plain */
  tls?: ServerTlsFiles;
  /** Run before every call's handler, in order (e.g. authentication). */
  interceptors?: ServerInterceptor[];
  /**
   * Also answer grpc.health.v1 alone, in plaintext, on this port of the same host. The kubelet's gRPC probe
   * speaks no TLS, so a port with TLS (the public API, internal mTLS) could not be probed otherwise; this
   * listener serves nothing but the same health registry. @default none
   */
  healthPort?: number;
}

/** Where a service listens: what its configuration decides of GrpcServerOptions. */
export type GrpcListenOptions = Pick<GrpcServerOptions, 'host' | 'port' | 'tls' | 'drainMs' | 'healthPort'>;

export interface RunningGrpcServer {
  server: Server;
  port: number;
  address: string;
  health: HealthRegistry;
  /** The plaintext health-only port, when healthPort was given (0 picks one). */
  healthPort?: number;
  /** Stops accepting, flips health to NOT_SERVING, lets calls finish for drainMs, then cancels the rest. */
  close(): Promise<void>;
}

/** A grpc-js server with the standard health service and every given service marked SERVING. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const host = options.host ?? '127.0.0.1';
  const healthRegistry = new HealthRegistry();
  const server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    interceptors: options.interceptors ?? [],
  });
  server.addService(
    health.HealthService,
    healthRegistry.implementation as unknown as UntypedServiceImplementation,
  );
  for (const binding of options.services) {
    server.addService(binding.definition, binding.implementation);
    healthRegistry.set(binding.name, 'SERVING');
  }
  const transport = serverCredentials(options.tls, options.log);
  const port = await bind(server, hostPort(host, options.port), transport.credentials).catch(
    (error: unknown) => {
      transport.close();
      throw error;
    },
  );
  const address = hostPort(host, port);
  const tls = !options.tls ? 'none' : options.tls.clientCaFile ? 'mutual' : 'server';
  options.log.info({ address, tls, services: options.services.map((s) => s.name) }, 'gRPC server listening');
  const healthServer =
    options.healthPort === undefined
      ? undefined
      : await startHealthOnly(healthRegistry, hostPort(host, options.healthPort)).catch((error: unknown) => {
          server.forceShutdown();
          transport.close();
          throw error;
        });
  if (healthServer) options.log.info({ address: healthServer.address }, 'gRPC health listening (plaintext)');
  const drainMs = options.drainMs ?? 5000;
  return {
    server,
    port,
    address,
    health: healthRegistry,
    ...(healthServer ? { healthPort: healthServer.port } : {}),
    close: async () => {
      healthRegistry.setAllNotServing();
      healthRegistry.endWatches();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, drainMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      transport.close();
      healthServer?.server.forceShutdown();
    },
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  );
}

/** A plaintext server with only the health service, reading the main server's registry. */
async function startHealthOnly(registry: HealthRegistry, address: string) {
  const server = new Server();
  server.addService(health.HealthService, registry.implementation as unknown as UntypedServiceImplementation);
  const port = await bind(server, address, ServerCredentials.createInsecure());
  return { server, address: address.replace(/:\d+$/, `:${port}`), port };
}
