// The one shape of a service's main: config, then the resources in order (each registering its stop as
// soon as it exists), then ready; SIGTERM/SIGINT stop them in reverse order; a start that fails halfway
// stops what it had started, in reverse order, and exits with one line. Its own entry point
// (`@callctl/service/run-service`) loads no gRPC of ours: telemetry starts first, before `start` loads the
// service's modules, so that their gRPC calls are instrumented.
import { ConfigError } from '@callctl/config';
import { createLogger, type Logger } from '@callctl/logging';
import { startTelemetry, type TraceExporterKind } from '@callctl/telemetry';
import { Shutdown } from './shutdown.js';

/** Exit status for a bad configuration (sysexits EX_CONFIG), distinct from a crash. */
export const EXIT_CONFIG = 78;
/** Exit status for a start that failed after the configuration was read. */
export const EXIT_START_FAILED = 1;

/** What every service's configuration has. */
export interface ServiceConfig {
  LOG_LEVEL: NonNullable<Parameters<typeof createLogger>[0]['level']>;
  /** How long the drain may take, at shutdown and when undoing a failed start. */
  SHUTDOWN_DRAIN_MS: number;
  /** Where traces go; a service whose configuration has it gets telemetry started before its start. */
  OTEL_TRACES_EXPORTER?: TraceExporterKind;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

/** Where a start registers what it acquired. */
export interface Stops {
  /** Registers the stop of a resource just acquired; stops run last-registered first. */
  add(name: string, stop: () => Promise<void> | void): void;
}

export interface ServiceDefinition<C extends ServiceConfig> {
  /** Stamped on every log line as `service`, and the prefix of a failed start's line. */
  name: string;
  /** Reads the environment (the only place that does); a ConfigError exits EXIT_CONFIG with its line. */
  loadConfig(): C;
  /** Acquires the resources in order, registering each one's stop in `stops` as soon as it exists. */
  start(config: C, context: { log: Logger; stops: Stops }): Promise<void>;
}

/** How the process is driven; tests pass their own. */
export interface ProcessHooks {
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /** Called after the drain that a signal started. @default process.exit */
  exit?: (code: number) => void;
  /** @default a pino logger on stdout at the configured level */
  log?: Logger;
}

/** A start that failed; what it had started is stopped already. */
export class StartFailedError extends Error {
  override readonly name = 'StartFailedError';
}

/** The message of an error and of its causes, on one line. */
function oneLine(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ').replace(/\s*\n\s*/g, ' ');
}

/**
 * Reads the config and starts the service; resolves with its Shutdown once ready. If start fails, what it
 * had registered is stopped in reverse order and the promise rejects with a StartFailedError.
 */
export async function startService<C extends ServiceConfig>(
  definition: ServiceDefinition<C>,
  hooks: ProcessHooks = {},
): Promise<Shutdown> {
  const config = definition.loadConfig();
  const log = hooks.log ?? createLogger({ service: definition.name, level: config.LOG_LEVEL });
  const shutdown = new Shutdown({
    log,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    ...(hooks.signals ? { signals: hooks.signals } : {}),
    ...(hooks.exit ? { exit: hooks.exit } : {}),
  });
  try {
    if (config.OTEL_TRACES_EXPORTER) {
      const telemetry = startTelemetry({
        serviceName: definition.name,
        exporter: config.OTEL_TRACES_EXPORTER,
        otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
      });
      shutdown.add('telemetry', () => telemetry.shutdown());
    }
    await definition.start(config, { log, stops: shutdown });
    return shutdown;
  } catch (error) {
    log.error({ err: error }, 'start failed; stopping what was started');
    const outcome = await shutdown.drain();
    const undone =
      outcome === 'ok' ? '' : ` (undoing it: ${outcome === 'timeout' ? 'timed out' : 'a stop failed'})`;
    throw new StartFailedError(`${definition.name}: start failed: ${oneLine(error)}${undone}`, {
      cause: error,
    });
  }
}

/**
 * A service's main: startService, and on failure one line on stderr and the exit status (EXIT_CONFIG for
 * a bad configuration, else EXIT_START_FAILED).
 */
export function runService<C extends ServiceConfig>(definition: ServiceDefinition<C>): void {
  startService(definition).catch((error: unknown) => {
    const config = error instanceof ConfigError;
    process.stderr.write(`${config || error instanceof StartFailedError ? error.message : oneLine(error)}\n`);
    process.exit(config ? EXIT_CONFIG : EXIT_START_FAILED);
  });
}
