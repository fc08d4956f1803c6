// A real pino logger (the platform's createLogger) whose lines are kept in memory, for tests that assert what
// the engine logs and at which level.
import { createLogger, type Logger } from '@callctl/logging';

export interface CapturedLog {
  log: Logger;
  /** Every line written so far, parsed. */
  lines(): Array<Record<string, unknown>>;
}

export function captureLog(level: 'debug' | 'info' = 'info'): CapturedLog {
  const written: string[] = [];
  const log = createLogger({
    service: 'sip-engine-test',
    level,
    destination: { write: (line: string) => void written.push(line) },
  });
  return {
    log,
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
