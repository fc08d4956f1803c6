import { ConfigError } from '@callctl/config';
import { createLogger } from '@callctl/logging';
import { startService, StartFailedError, type ServiceDefinition, type Stops } from './run-service';

const log = createLogger({ service: 'run-service-test', level: 'silent' });
const config = { LOG_LEVEL: 'silent' as const, SHUTDOWN_DRAIN_MS: 2000 };

/** A service whose resources are named steps; `failAt` makes that step's acquisition throw. */
function service(steps: string[], journal: string[], failAt?: string): ServiceDefinition<typeof config> {
  return {
    name: 'demo',
    loadConfig: () => config,
    start: async (_config, { stops }: { stops: Stops }) => {
      for (const step of steps) {
        await Promise.resolve();
        if (step === failAt) throw new Error(`${step} refused`, { cause: new Error('port 5060 taken') });
        journal.push(`start ${step}`);
        stops.add(step, async () => {
          await Promise.resolve();
          journal.push(`stop ${step}`);
        });
      }
    },
  };
}

describe('startService', () => {
  it('stops what a failed start had started, in reverse order, and says why in one line', async () => {
    const journal: string[] = [];
    const exits: number[] = [];
    const failed = startService(service(['telemetry', 'nats', 'grpc', 'sip'], journal, 'grpc'), {
      log,
      signals: [],
      exit: (code) => exits.push(code),
    });
    await expect(failed).rejects.toThrow(StartFailedError);
    await expect(failed).rejects.toThrow(/^demo: start failed: grpc refused: port 5060 taken$/);
    expect(journal).toEqual(['start telemetry', 'start nats', 'stop nats', 'stop telemetry']);
    expect(exits).toEqual([]);
  });

  it('on a signal, stops every resource in reverse order and exits 0', async () => {
    const journal: string[] = [];
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    await startService(service(['telemetry', 'nats', 'grpc'], journal), {
      log,
      signals: ['SIGUSR2'],
      exit: exited,
    });
    // Emitted rather than sent: jest's `process` is a stand-in whose listeners the OS signal does not reach.
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await exit).toBe(0);
    expect(journal).toEqual([
      'start telemetry',
      'start nats',
      'start grpc',
      'stop grpc',
      'stop nats',
      'stop telemetry',
    ]);
  });

  it('goes on stopping the rest when one stop fails, and exits 1', async () => {
    const journal: string[] = [];
    const shutdown = await startService(
      {
        name: 'demo',
        loadConfig: () => config,
        start: async (_config, { stops }) => {
          stops.add('nats', () => void journal.push('stop nats'));
          stops.add('grpc', () => Promise.reject(new Error('already closed')));
        },
      },
      { log, signals: [], exit: (code) => journal.push(`exit ${code}`) },
    );
    await shutdown.run();
    expect(journal).toEqual(['stop nats', 'exit 1']);
  });

  it('lets a configuration error through as it is, having started nothing', async () => {
    const journal: string[] = [];
    const definition = {
      ...service(['telemetry'], journal),
      loadConfig: () => {
        throw new ConfigError('demo', [{ variable: 'GRPC_PORT', problem: 'not a port' }]);
      },
    };
    await expect(startService(definition, { log, signals: [] })).rejects.toThrow(ConfigError);
    expect(journal).toEqual([]);
  });
});
