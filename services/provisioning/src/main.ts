import { isLoopback } from '@callctl/config';
import { runService } from '@callctl/service/run-service';
import { loggableConfig, readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then the service wired by hand (provisioning-server.ts). SIGTERM stops it in reverse: the
// gRPC server drains, the reconciler finishes its run, NATS drains, PostgreSQL disconnects.
runService({
  name: 'provisioning',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startProvisioning } = await import('./provisioning-server.js');
    log.debug({ config: loggableConfig(config) }, 'configuration');
    if (config.API_AUTH === 'token' && !config.publicTls && !isLoopback(config.GRPC_HOST))
      // Allowed, for TLS ended in front of the port (a mesh, an ingress), but worth a line at every start.
      log.warn({ host: config.GRPC_HOST }, 'API tokens are accepted over plaintext gRPC (GRPC_TLS_* unset)');
    const service = await startProvisioning(config, log);
    stops.add('provisioning', () => service.close());
    log.info({ grpc: service.grpc.address }, 'provisioning ready');
  },
});
