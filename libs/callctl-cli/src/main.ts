import { randomUUID } from 'node:crypto';
import { parseCommandLine, commandUsage } from './command-line.js';
import { EXIT_FAILED, EXIT_USAGE, run } from './run.js';
import { UsageError } from './usage-error.js';

// Entry point of `callctl`: reads the command line and the environment, runs one command, and sets the exit
// code (0 ok, 1 the server said no or could not be reached, 2 bad command line). Ctrl-C ends a watch.
// grpc-js gives Node the server's IP address as the TLS server name when --server is an IP (127.0.0.1:50051),
// and Node answers with a deprecation warning (DEP0123) on stderr at every TLS call. A user of the command
// has nothing to do about deprecations inside its dependencies.
process.noDeprecation = true;

const output = {
  stdout: (line: string) => void process.stdout.write(`${line}\n`),
  stderr: (line: string) => void process.stderr.write(`${line}\n`),
};

async function main(): Promise<number> {
  let line;
  try {
    line = parseCommandLine(process.argv.slice(2), { env: process.env, newId: randomUUID });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.stderr(`error: ${error.message}`);
    output.stderr(
      error.command
        ? `${commandUsage(error.command)}\nRun \`callctl ${error.command} --help\` for its options.`
        : 'Run `callctl --help` for the commands.',
    );
    return EXIT_USAGE;
  }
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  return run(line, output, stop.signal);
}

main().then(
  (code) => {
    process.exitCode = code;
    // A finished watch leaves the signal listeners; nothing else should keep the process alive.
    process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
  },
  (error: unknown) => {
    output.stderr(`error: INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT_FAILED;
  },
);
