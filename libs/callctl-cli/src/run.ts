import { createCallControlClient, GrpcStatusError, type CallControlClient } from '@callctl/client';
import type { CommandLine } from './command-line.js';
import type { UnaryCall } from './commands.js';
import { eventLine } from './event-line.js';
import { eventJson, grpcErrorText, responseJson, responseText } from './output.js';

export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const EXIT_OK = 0;
/** The server answered with an error, or could not be reached. */
export const EXIT_FAILED = 1;
/** The command line was wrong. */
export const EXIT_USAGE = 2;

type RunLine = Extract<CommandLine, { kind: 'run' }>;

/**
 * Streams events until `stop` aborts (exit 0) or the stream fails. A dropped connection is resumed by the
 * client from the last position printed + 1, as the API documents, once per drop, waiting at most
 * timeoutMs to get back; any other error ends the watch.
 */
async function watch(
  api: CallControlClient,
  line: RunLine & { invocation: { kind: 'watch' } },
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  const feed = api.watchEvents(line.invocation.request, {
    reconnectTimeoutMs: line.timeoutMs,
    onResume: (error, from) => output.stderr(`connection lost (${error.details}); resuming from #${from}`),
  });
  const onStop = () => feed.close();
  stop.addEventListener('abort', onStop, { once: true });
  try {
    for await (const message of feed) output.stdout(line.json ? eventJson(message) : eventLine(message));
    return EXIT_OK;
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

/** Runs one parsed command against the server; returns the exit code. */
export async function run(line: CommandLine, output: Output, stop: AbortSignal): Promise<number> {
  if (line.kind === 'help') {
    output.stdout(line.text);
    return EXIT_OK;
  }
  const api = createCallControlClient({ address: line.server, deadlineMs: line.timeoutMs });
  try {
    const { invocation } = line;
    if (invocation.kind === 'watch') return await watch(api, { ...line, invocation }, output, stop);
    // The union of calls does not tell TypeScript that each method gets its own request.
    const method = api[invocation.method] as (request: UnaryCall['request']) => Promise<unknown>;
    const response = await method(invocation.request);
    output.stdout(line.json ? responseJson(invocation.method, response) : responseText(invocation, response));
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof GrpcStatusError)) throw error;
    output.stderr(grpcErrorText({ code: error.status, details: error.details }));
    return EXIT_FAILED;
  } finally {
    api.close();
  }
}
