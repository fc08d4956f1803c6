import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { health } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
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
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(
    health.HealthService,
    healthRegistry.implementation as unknown as UntypedServiceImplementation,
  );
  for (const binding of options.services) {
    server.addService(binding.definition, binding.implementation);
    healthRegistry.set(binding.name, 'SERVING');
  }
  const bindAddress = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    ),
  );
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  options.log.info({ address, services: options.services.map((s) => s.name) }, 'gRPC server listening');
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
    },
  };
}
