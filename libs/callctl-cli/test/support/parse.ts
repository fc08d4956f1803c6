import { parseCommandLine } from '../../src/command-line.js';
import type { CommandLineContext } from '../../src/commands.js';
import { UsageError } from '../../src/usage-error.js';

// A command line as one string (words split on spaces), read as callctl would, with `new-id` for every fresh
// idempotency key.
export const context: CommandLineContext = { env: {}, newId: () => 'new-id' };

export const parse = (line: string, env: CommandLineContext['env'] = {}) =>
  parseCommandLine(line.split(' ').filter(Boolean), { ...context, env });

/** The command a line runs; throws if it is help instead. */
export const run = (line: string, env: CommandLineContext['env'] = {}) => {
  const parsed = parse(line, env);
  if (parsed.kind !== 'run') throw new Error(`expected a command, got help for "${line}"`);
  return parsed;
};

/** The UsageError a line is refused with; throws if it is accepted. */
export const usageError = (line: string) => {
  try {
    parse(line);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`"${line}" was accepted`);
};
