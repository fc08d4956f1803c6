// A relay as its own process, for the crash and takeover tests (started with tsx, killed with SIGKILL).
// Environment: DATABASE_URL, NATS_URL, RELAY_BATCH_SIZE.
import pg from 'pg';
import { connectBus } from '@callctl/bus';
import { createEventStore, startRelay } from '../src/index.js';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const natsUrl = process.env.NATS_URL;
  if (!databaseUrl || !natsUrl) throw new Error('DATABASE_URL and NATS_URL are required');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const nc = await connectBus({ servers: natsUrl, name: `relay-${process.pid}` });
  const relay = startRelay({
    store: createEventStore({ pool }),
    databaseUrl,
    nc,
    batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 256),
    pollIntervalMs: 100,
    lockRetryMs: 100,
    onLeader: () => console.log(`leader ${process.pid}`),
    onLeadershipLost: (error) => console.log(`leadership lost: ${error.message}`),
    onRetry: (error, delayMs) => console.log(`retry in ${delayMs} ms: ${error.message}`),
    onCheckpoint: (position) => console.log(`checkpoint ${position}`),
  });
  process.once('SIGTERM', () => void relay.close());
  const result = await relay.closed();
  await nc.close();
  await pool.end();
  if (result instanceof Error) throw result;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
