import { isLoopback } from '@callctl/config';
import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, then the service wired by hand (callback-service.ts).
runService({
  name: 'callback',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startCallbackService } = await import('./callback-service.js');
    if (config.API_AUTH === 'token' && !config.publicTls && !isLoopback(config.GRPC_HOST))
      // Allowed, for TLS ended in front of the port (a mesh, an ingress), but worth a line at every start.
      log.warn({ host: config.GRPC_HOST }, 'API tokens are accepted over plaintext gRPC (GRPC_TLS_* unset)');
    const service = await startCallbackService({ config, log });
    stops.add('callback', () => service.close());
    log.info(
      {
        grpc: service.grpc?.address,
        iif: service.iif?.address,
        api: `${config.CALLCTL_API.host}:${config.CALLCTL_API.port}`,
        instance: config.CALLBACK_INSTANCE,
      },
      'callback ready',
    );
  },
});
