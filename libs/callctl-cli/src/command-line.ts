import { parseArgs } from 'node:util';
import {
  COMMAND_GROUPS,
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
import { DEFAULT_CALLBACK_PORT } from './callback-commands.js';
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
      /** --timeout was given: it also bounds an upload (whose own default is longer). */
      timeoutGiven: boolean;
      json: boolean;
      security: ServerSecurity;
    };

/** How callctl proves itself to the server and checks it (flags, else CALLCTL_* variables). */
export interface ServerSecurity {
  token?: string;
  /** TLS; with no caFile the system's CAs are trusted. */
  tls: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The orchestrator's gRPC port in deploy/local/ports.env (CALLCTL_ORCHESTRATOR_GRPC_PORT). */
export const DEFAULT_ORCHESTRATOR_PORT = 50051;
export const DEFAULT_TIMEOUT_MS = 10_000;

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
    return `  ${left.padEnd(32)} ${spec.help}`;
  });
}

const argsText = (spec: CommandSpec) => spec.args.map((a) => (a.startsWith('[') ? a : `<${a}>`)).join(' ');

function usageOf(name: string, spec: CommandSpec): string {
  const args = argsText(spec);
  return `callctl ${name}${args ? ` ${args}` : ''} [options]`;
}

const commandLines = (names: readonly string[]) =>
  names.map((name) => `  ${`${name} ${argsText(COMMANDS[name]!)}`.padEnd(34)} ${COMMANDS[name]!.summary}`);

/** `callctl media --help`: the commands of a two-word group. */
function groupHelp(group: string): string {
  const subs = COMMAND_GROUPS.get(group)!;
  return [
    `Usage: callctl ${group} <${subs.join('|')}> [arguments] [options]`,
    '',
    'Commands:',
    ...commandLines(subs.map((sub) => `${group} ${sub}`)),
    '',
    `\`callctl ${group} <command> --help\` shows a command's options.`,
  ].join('\n');
}

/** `callctl --help`. */
export function mainHelp(): string {
  return [
    'callctl: drive calls, the media library, recordings and callbacks through the public callctl.v1 gRPC API',
    '',
    'Usage: callctl <command> [arguments] [options]',
    '',
    'Commands:',
    ...commandLines(COMMAND_NAMES),
    '',
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    `The server defaults to 127.0.0.1:$CALLCTL_ORCHESTRATOR_GRPC_PORT (${DEFAULT_ORCHESTRATOR_PORT}); the callback`,
    `commands talk to the callback service: --callback-address, else $CALLCTL_CALLBACK_ADDRESS, else`,
    `127.0.0.1:$CALLCTL_CALLBACK_GRPC_PORT (${DEFAULT_CALLBACK_PORT}).`,
    'Durations: 500ms, 30s, 2m or a number of milliseconds. Errors: "error: <gRPC code>: <message>", exit 1;',
    "a bad command line exits 2. `callctl <command> --help` shows a command's options. Text that starts",
    'with "-" goes after "--" (callctl say c1 a1 -- -5 degrees).',
  ].join('\n');
}

/** The usage line of a command, shown with a command-line error. */
export function commandUsage(name: string): string {
  const spec = COMMANDS[name];
  if (spec) return `Usage: ${usageOf(name, spec)}`;
  const subs = COMMAND_GROUPS.get(name);
  return subs
    ? `Usage: callctl ${name} <${subs.join('|')}> [arguments] [options]`
    : 'Usage: callctl <command> [arguments] [options]';
}

/** `callctl <command> --help`. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name];
  if (!spec) return COMMAND_GROUPS.has(name) ? groupHelp(name) : mainHelp();
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

function securityOf(values: Values, env: CommandLineContext['env']): ServerSecurity {
  const given = (option: string, variable: string) => str(values, option) ?? (env[variable] || undefined);
  const token = given('token', 'CALLCTL_TOKEN');
  const caFile = given('ca-file', 'CALLCTL_CA_FILE');
  const certFile = given('cert-file', 'CALLCTL_CERT_FILE');
  const keyFile = given('key-file', 'CALLCTL_KEY_FILE');
  if (!certFile !== !keyFile) throw new UsageError('--cert-file and --key-file go together');
  const tls = values.tls === true || /^(1|true)$/i.test(env.CALLCTL_TLS ?? '') || !!caFile || !!certFile;
  return {
    tls,
    ...(token ? { token } : {}),
    ...(caFile ? { caFile } : {}),
    ...(certFile && keyFile ? { certFile, keyFile } : {}),
  };
}

/** Reads `callctl <command> ...` (argv without node and the script). Throws UsageError for a bad line. */
export function parseCommandLine(argv: readonly string[], context: CommandLineContext): CommandLine {
  let [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help')
    return {
      kind: 'help',
      text: name === 'help' && rest.length > 0 ? commandHelp(rest.join(' ')) : mainHelp(),
    };
  const subs = COMMAND_GROUPS.get(name);
  if (subs) {
    const [sub, ...after] = rest;
    if (sub === '--help' || sub === '-h') return { kind: 'help', text: groupHelp(name) };
    if (sub === undefined) throw new UsageError(`missing ${name} command (${subs.join(', ')})`, name);
    if (!subs.includes(sub))
      throw new UsageError(`unknown ${name} command "${sub}" (${name} commands: ${subs.join(', ')})`, name);
    [name, rest] = [`${name} ${sub}`, after];
  }
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
          {
            type: o.type,
            multiple: o.multiple === true,
            ...(option === 'help' ? { short: 'h' } : o.short ? { short: o.short } : {}),
          },
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
  let positionals = parsed.positionals;
  if (positionals.length < required.length)
    throw new UsageError(`missing <${required[positionals.length]}>`, name);
  if (spec.args.at(-1)?.endsWith('...'))
    positionals = [
      ...positionals.slice(0, spec.args.length - 1),
      positionals.slice(spec.args.length - 1).join(' '),
    ];
  if (positionals.length > spec.args.length)
    throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`, name);
  const empty = positionals.findIndex((p) => p.trim() === '');
  if (empty >= 0) throw new UsageError(`<${spec.args[empty]}> is empty`, name);
  const timeout = str(parsed.values, 'timeout');
  let invocation: Invocation;
  try {
    invocation = spec.build(positionals, parsed.values, context);
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
    timeoutGiven: timeout !== undefined,
    json: parsed.values.json === true,
    security: securityOf(parsed.values, context.env),
  };
}
