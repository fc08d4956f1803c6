import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, then the service wired by hand (callback-service.ts).
runService({
  name: 'callback',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startCallbackService } = await import('./callback-service.js');
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
