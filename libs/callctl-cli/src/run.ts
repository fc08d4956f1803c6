import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { callControl } from '@callctl/proto';
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

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

function invokeUnary(
  client: callControl.CallControlClient,
  call: UnaryCall,
  deadline: Date,
): Promise<unknown> {
  // The generated client has one overload set per method; they all take (request, options, callback).
  const method = client[call.method] as unknown as (
    request: unknown,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response: unknown) => void,
  ) => unknown;
  return new Promise((resolve, reject) =>
    method.call(client, call.request, { deadline }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

function waitForReady(
  client: callControl.CallControlClient,
  server: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (error) =>
      error
        ? reject(
            Object.assign(new Error(`cannot reach ${server} within ${timeoutMs} ms`), {
              code: GrpcStatus.UNAVAILABLE,
              details: `cannot reach ${server} within ${timeoutMs} ms`,
            }),
          )
        : resolve(),
    ),
  );
}

/**
 * Streams events until `stop` aborts (exit 0) or the stream fails. A dropped connection is resumed from
 * the last position printed + 1, as the API documents, once per drop, waiting at most timeoutMs to get
 * back; any other error ends the watch.
 */
async function watch(
  client: callControl.CallControlClient,
  line: RunLine & { invocation: { kind: 'watch' } },
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  let from = line.invocation.request.fromPosition;
  for (;;) {
    await waitForReady(client, line.server, line.timeoutMs);
    if (stop.aborted) return EXIT_OK;
    let received = false;
    const outcome = await new Promise<'stopped' | 'ended' | ServiceError>((resolve) => {
      const stream = client.watchEvents({ ...line.invocation.request, fromPosition: from });
      const onStop = () => stream.cancel();
      stop.addEventListener('abort', onStop, { once: true });
      stream.on('data', (message: callControl.WatchEventsResponse) => {
        received = true;
        if (message.envelope) from = message.envelope.globalPosition + 1;
        output.stdout(line.json ? eventJson(message) : eventLine(message));
      });
      stream.on('error', (error: ServiceError) => {
        stop.removeEventListener('abort', onStop);
        resolve(stop.aborted ? 'stopped' : error);
      });
      stream.on('end', () => {
        stop.removeEventListener('abort', onStop);
        resolve(stop.aborted ? 'stopped' : 'ended');
      });
    });
    if (outcome === 'stopped' || outcome === 'ended') return EXIT_OK;
    if (outcome.code !== GrpcStatus.UNAVAILABLE || !received) {
      output.stderr(grpcErrorText(outcome));
      return EXIT_FAILED;
    }
    output.stderr(`connection lost (${outcome.details}); resuming from #${from}`);
  }
}

/** Runs one parsed command against the server; returns the exit code. */
export async function run(line: CommandLine, output: Output, stop: AbortSignal): Promise<number> {
  if (line.kind === 'help') {
    output.stdout(line.text);
    return EXIT_OK;
  }
  const client = new callControl.CallControlClient(line.server, credentials.createInsecure());
  try {
    const { invocation } = line;
    if (invocation.kind === 'watch') return await watch(client, { ...line, invocation }, output, stop);
    const response = await invokeUnary(client, invocation, new Date(Date.now() + line.timeoutMs));
    output.stdout(line.json ? responseJson(invocation.method, response) : responseText(invocation, response));
    return EXIT_OK;
  } catch (error) {
    if (!isServiceError(error)) throw error;
    output.stderr(grpcErrorText(error));
    return EXIT_FAILED;
  } finally {
    client.close();
  }
}
