import {
  Server,
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
}

export interface RunningGrpcServer {
  server: Server;
  port: number;
  address: string;
  health: HealthRegistry;
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
  const bindAddress = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const transport = serverCredentials(options.tls, options.log);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, transport.credentials, (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  ).catch((error: unknown) => {
    transport.close();
    throw error;
  });
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const tls = !options.tls ? 'none' : options.tls.clientCaFile ? 'mutual' : 'server';
  options.log.info({ address, tls, services: options.services.map((s) => s.name) }, 'gRPC server listening');
  const drainMs = options.drainMs ?? 5000;
  return {
    server,
    port,
    address,
    health: healthRegistry,
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
    },
  };
}
