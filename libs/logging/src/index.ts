import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Stamped on every line as `service`. */
  service: string;
  /** @default 'info' */
  level?: LevelWithSilent;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

/**
 * Builds the root logger of a process. main.ts calls it once and passes the logger down; modules take
 * `log.child({ module: 'transaction' })` and put facts in fields: `log.info({ legId, sipStatus }, 'leg answered')`.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Digest credentials and secrets never reach a log line, whatever the level.
      redact: {
        paths: [
          'authorization',
          'proxyAuthorization',
          'password',
          'secret',
          '*.password',
          '*.secret',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
