// The provisioning service wired by hand: PostgreSQL (the record), NATS (the published model, the
// registrar's bindings, trunk status, the instance registry), the core, a first reconciliation before
// anything is served (the bucket matches the record from the start), then the gRPC port.
import { connectBus, watchInstances } from '@callctl/bus';
import { createDb } from '@callctl/db';
import type { Logger } from '@callctl/logging';
import { Shutdown } from '@callctl/service';
import { openBindingStore, openTrunkStatusStore, parseSecretsKey, sealSecret } from '@callctl/provisioning';
import { liveResources } from './adapters/bus/live-resources.js';
import { prismaProvisioningStore } from './adapters/db/prisma-provisioning-store.js';
import { startProvisioningGrpc, type ProvisioningGrpc } from './adapters/grpc/provisioning-grpc.js';
import { openKvModelPublisher } from './adapters/kv/kv-model-publisher.js';
import { registrationsOf } from './adapters/kv/registrations.js';
import { createProvisioningCore, type ProvisioningCore } from './app/provisioning.js';
import { startReconciler, type Reconciler } from './app/reconciler.js';
import type { ProvisioningConfig } from './config.js';

export interface RunningProvisioning {
  grpc: ProvisioningGrpc;
  core: ProvisioningCore;
  reconciler: Reconciler;
  close(): Promise<void>;
}

export async function startProvisioning(
  config: ProvisioningConfig,
  log: Logger,
): Promise<RunningProvisioning> {
  // The stops of what was opened, run in reverse by close() (or at once if the start fails halfway).
  const stops = new Shutdown({ log, signals: [], drainMs: config.SHUTDOWN_DRAIN_MS, exit: () => undefined });
  const close = async () => {
    await stops.drain();
  };
  try {
    // Checked first: a bad key must stop the start before anything is opened.
    const secretsKey = parseSecretsKey(config.PROVISIONING_SECRETS_KEY);
    const db = createDb({
      databaseUrl: config.DATABASE_URL,
      maxConnections: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    });
    stops.add('database', () => db.$disconnect());
    const nc = await connectBus({ servers: config.NATS_URL, name: 'provisioning', security: config.nats });
    stops.add('nats', () => nc.drain());
    const store = prismaProvisioningStore(db);
    const publisher = await openKvModelPublisher({ nc, timeoutMs: config.PROVISIONING_KV_TIMEOUT_MS });
    const registrations = registrationsOf(await openBindingStore(nc), await openTrunkStatusStore(nc));
    const sipEdges = await watchInstances({ nc, kind: 'sip-edge' });
    stops.add('sip-edge instances', () => sipEdges.close());
    const mediaWorkers = await watchInstances({ nc, kind: 'media-worker' });
    stops.add('media-worker instances', () => mediaWorkers.close());

    const reconciler = startReconciler({
      store,
      publisher,
      intervalMs: config.PROVISIONING_RECONCILE_INTERVAL_MS,
      log: log.child({ module: 'reconcile' }),
    });
    stops.add('reconciler', () => reconciler.close());
    await reconciler.run();
    const core = createProvisioningCore({
      store,
      publisher,
      registrations,
      seal: (plaintext) => sealSecret(secretsKey, plaintext),
      reconcileSoon: () => reconciler.soon(),
      log,
    });
    const grpc = await startProvisioningGrpc({
      host: config.GRPC_HOST,
      port: config.GRPC_PORT,
      healthPort: config.GRPC_HEALTH_PORT,
      core,
      store,
      resources: liveResources(sipEdges, mediaWorkers),
      tls: config.publicTls,
      apiTokensFile: config.apiTokensFile,
      drainMs: config.SHUTDOWN_DRAIN_MS / 2,
      log,
    });
    stops.add('grpc', () => grpc.close());
    return { grpc, core, reconciler, close };
  } catch (error) {
    await close();
    throw error;
  }
}
