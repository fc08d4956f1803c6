// The relay restarting over a backlog, in a process of its own so that its peak memory is its own:
// restart-at-scale.bench.ts runs it with DATABASE_URL, NATS_URL and HEAD (the log's head position) set.
// It starts libs/eventstore's relay as the orchestrator does (default settings) and prints one JSON line
// when the relay has checkpointed the head: every event before it was acked by JetStream.
import pg from 'pg';
import { connectBus } from '@callctl/bus';
import { createEventStore, startRelay } from '@callctl/eventstore';

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL!;
  const head = Number(process.env.HEAD);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => undefined);
  const store = createEventStore({ pool });
  const nc = await connectBus({ servers: process.env.NATS_URL!, name: 'relay-catch-up' });
  const rssBeforeMiB = process.memoryUsage().rss / 1024 / 1024;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let firstCheckpointMs = 0;
  let checkpoints = 0;
  const reached = new Promise<void>((resolve) => {
    const relay = startRelay({
      store,
      databaseUrl,
      nc,
      onCheckpoint: (position) => {
        checkpoints++;
        firstCheckpointMs ||= performance.now() - t0;
        if (position >= head) resolve();
      },
      onRetry: (error) => console.error(`relay retry: ${error.message}`),
    });
    closeRelay = () => relay.close();
  });
  await reached;
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      ms,
      firstCheckpointMs,
      checkpoints,
      rssBeforeMiB,
      peakMiB: peakRssMiB(),
      cpuMs: ((cpu) => (cpu.user + cpu.system) / 1000)(process.cpuUsage(cpu0)),
    }),
  );
  await closeRelay();
  await nc.close();
  await pool.end();
}

let closeRelay: () => Promise<void> = async () => undefined;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
