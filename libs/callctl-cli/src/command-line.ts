import { parseArgs } from 'node:util';
import {
  COMMAND_NAMES,
  COMMANDS,
  GLOBAL_OPTIONS,
  type CommandLineContext,
  type CommandSpec,
  type Invocation,
  type OptionSpec,
  type Values,
  str,
} from './commands.js';
import { parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

export type CommandLine =
  | { kind: 'help'; text: string }
  | {
      kind: 'run';
      command: string;
      invocation: Invocation;
      /** host:port of the CallControl server. */
      server: string;
      /** Deadline of each unary call; for watch, of getting connected. */
      timeoutMs: number;
      json: boolean;
    };

/** The orchestrator's gRPC port in deploy/local/ports.env (CALLCTL_ORCHESTRATOR_GRPC_PORT). */
export const DEFAULT_ORCHESTRATOR_PORT = 50051;
export const DEFAULT_TIMEOUT_MS = 10_000;

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const left = `--${name}${spec.value ? ` <${spec.value}>` : ''}`;
    return `  ${left.padEnd(28)} ${spec.help}`;
  });
}

function usageOf(name: string, spec: CommandSpec): string {
  const args = spec.args.map((a) => (a.startsWith('[') ? a : `<${a}>`)).join(' ');
  return `callctl ${name}${args ? ` ${args}` : ''} [options]`;
}

/** `callctl --help`. */
export function mainHelp(): string {
  return [
    'callctl: drive calls through the public CallControl gRPC API',
    '',
    'Usage: callctl <command> [arguments] [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, spec]) => {
      const args = spec.args.map((a) => (a.startsWith('[') ? a : `<${a}>`)).join(' ');
      return `  ${`${name} ${args}`.padEnd(30)} ${spec.summary}`;
    }),
    '',
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    `The server defaults to 127.0.0.1:$CALLCTL_ORCHESTRATOR_GRPC_PORT (${DEFAULT_ORCHESTRATOR_PORT}).`,
    'Durations: 500ms, 30s, 2m or a number of milliseconds. Errors: "error: <gRPC code>: <message>", exit 1;',
    "a bad command line exits 2. `callctl <command> --help` shows a command's options.",
  ].join('\n');
}

/** The usage line of a command, shown with a command-line error. */
export function commandUsage(name: string): string {
  const spec = COMMANDS[name];
  return spec ? `Usage: ${usageOf(name, spec)}` : 'Usage: callctl <command> [arguments] [options]';
}

/** `callctl <command> --help`. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name];
  if (!spec) return mainHelp();
  return [
    `${spec.summary}`,
    '',
    `Usage: ${usageOf(name, spec)}`,
    ...(Object.keys(spec.options).length > 0 ? ['', 'Options:', ...optionLines(spec.options)] : []),
    '',
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
  ].join('\n');
}

function defaultServer(env: CommandLineContext['env']): string {
  if (env.CALLCTL_SERVER) return env.CALLCTL_SERVER;
  return `127.0.0.1:${env.CALLCTL_ORCHESTRATOR_GRPC_PORT || DEFAULT_ORCHESTRATOR_PORT}`;
}

/** Reads `callctl <command> ...` (argv without node and the script). Throws UsageError for a bad line. */
export function parseCommandLine(argv: readonly string[], context: CommandLineContext): CommandLine {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help')
    return { kind: 'help', text: name === 'help' && rest[0] ? commandHelp(rest[0]) : mainHelp() };
  const spec = COMMANDS[name];
  if (!spec) throw new UsageError(`unknown command "${name}" (commands: ${COMMAND_NAMES.join(', ')})`);
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([option, o]) => [
          option,
          { type: o.type, ...(option === 'help' ? { short: 'h' } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : String(error), name);
  }
  if (parsed.values.help) return { kind: 'help', text: commandHelp(name) };
  const required = spec.args.filter((a) => !a.startsWith('['));
  if (parsed.positionals.length < required.length)
    throw new UsageError(`missing <${required[parsed.positionals.length]}>`, name);
  if (parsed.positionals.length > spec.args.length)
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.args.length]}"`, name);
  const empty = parsed.positionals.findIndex((p) => p.trim() === '');
  if (empty >= 0) throw new UsageError(`<${spec.args[empty]}> is empty`, name);
  const timeout = str(parsed.values, 'timeout');
  let invocation: Invocation;
  try {
    invocation = spec.build(parsed.positionals, parsed.values, context);
  } catch (error) {
    if (error instanceof UsageError && error.command === undefined) throw new UsageError(error.message, name);
    throw error;
  }
  return {
    kind: 'run',
    command: name,
    invocation,
    server: str(parsed.values, 'server') ?? defaultServer(context.env),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDurationMs(timeout, 'timeout'),
    json: parsed.values.json === true,
  };
}
