import { createWriteStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createCallbackClient,
  createCallControlClient,
  createMediaLibraryClient,
  createProvisioningClient,
  createRecordingsClient,
  GrpcStatusError,
  type CallbackClient,
  type CallControlClient,
  type ClientOptions,
  type EventFeed,
  type MediaLibraryClient,
  type RecordingsClient,
  type WatchMessage,
  type WatchOptions,
} from '@callctl/client';
import type { CallbackInvocation } from './callback-commands.js';
import {
  callbackEventJson,
  callbackEventLine,
  callbackResponseJson,
  callbackResponseText,
} from './callback-output.js';
import type { CommandLine } from './command-line.js';
import type { Invocation, UnaryCall } from './commands.js';
import { eventLine } from './event-line.js';
import { provisioningResponseJson, provisioningResponseText } from './provisioning-output.js';
import { UsageError } from './usage-error.js';
import {
  eventJson,
  grpcErrorText,
  mediaResponseText,
  recordingsResponseText,
  responseJson,
  responseText,
} from './output.js';

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
async function follow<Message extends WatchMessage>(
  open: (options: WatchOptions) => EventFeed<Message>,
  print: (message: Message) => string,
  line: RunLine,
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  const feed = open({
    reconnectTimeoutMs: line.timeoutMs,
    onResume: (error, from) => output.stderr(`connection lost (${error.details}); resuming from #${from}`),
  });
  const onStop = () => feed.close();
  stop.addEventListener('abort', onStop, { once: true });
  try {
    for await (const message of feed) output.stdout(print(message));
    return EXIT_OK;
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

function watch(
  api: CallControlClient,
  line: RunLine & { invocation: { kind: 'watch' } },
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  return follow(
    (options) => api.watchEvents(line.invocation.request, options),
    (message) => (line.json ? eventJson(message) : eventLine(message)),
    line,
    output,
    stop,
  );
}

/** A `callback` command, against the callback service's own address. */
async function callbackCommand(
  client: CallbackClient,
  line: RunLine,
  invocation: CallbackInvocation,
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  if (invocation.kind === 'callback-watch')
    return follow(
      (options) => client.watchCallbackEvents(invocation.request, options),
      (message) => (line.json ? callbackEventJson(message) : callbackEventLine(message)),
      line,
      output,
      stop,
    );
  return printed(
    client[invocation.method],
    invocation,
    callbackResponseText,
    callbackResponseJson,
    line,
    output,
  );
}

/**
 * Uploads a local file as it is read. A file that cannot be opened is a mistake on the command line
 * (exit 2), found before anything is sent.
 */
async function upload(
  library: MediaLibraryClient,
  line: RunLine & { invocation: { kind: 'upload' } },
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  const { path, name } = line.invocation;
  let file;
  try {
    file = await open(path, 'r');
    if (!(await file.stat()).isFile()) throw new Error('not a regular file');
  } catch (error) {
    await file?.close();
    const reason = error instanceof Error ? error.message.replace(/, \w+ '.*'$/, '') : String(error);
    output.stderr(`error: cannot read "${path}": ${reason}`);
    return EXIT_USAGE;
  }
  try {
    const response = await library.uploadMedia(
      // The handle is closed below, whether the upload read it all or stopped early.
      { name, data: file.createReadStream({ autoClose: false }) },
      { signal: stop, ...(line.timeoutGiven ? { deadlineMs: line.timeoutMs } : {}) },
    );
    output.stdout(
      line.json ? responseJson('uploadMedia', response) : mediaResponseText('uploadMedia', response),
    );
    return EXIT_OK;
  } finally {
    await file.close();
  }
}

/** One unary call, its response printed (as JSON with --json). */
async function printed<Method extends string>(
  call: (request: never) => Promise<unknown>,
  invocation: { method: Method; request: unknown },
  text: (method: Method, response: unknown) => string,
  json: (method: Method, response: unknown) => string,
  line: RunLine,
  output: Output,
): Promise<number> {
  // The union of calls does not tell TypeScript that each method gets its own request.
  const response = await call(invocation.request as never);
  output.stdout(line.json ? json(invocation.method, response) : text(invocation.method, response));
  return EXIT_OK;
}

/**
 * Writes one part of a recording to a local file as it streams; a download that fails leaves no file (a
 * partial WAV would look like a recording). Prints the path and the size.
 */
async function download(
  client: RecordingsClient,
  line: RunLine & { invocation: { kind: 'download' } },
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  const { request, out } = line.invocation;
  let bytes = 0;
  const chunks = client.downloadRecording(request, {
    signal: stop,
    ...(line.timeoutGiven ? { deadlineMs: line.timeoutMs } : {}),
  });
  const counted = async function* () {
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  };
  try {
    await pipeline(Readable.from(counted()), createWriteStream(out));
  } catch (error) {
    await rm(out, { force: true });
    if (error instanceof GrpcStatusError) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    output.stderr(
      (error as NodeJS.ErrnoException).syscall ? `error: cannot write "${out}": ${cause}` : `error: ${cause}`,
    );
    return EXIT_FAILED;
  }
  output.stdout(
    line.json
      ? JSON.stringify({ recordingId: request.recordingId, part: request.part || 1, path: out, bytes })
      : `${out} ${bytes} bytes`,
  );
  return EXIT_OK;
}

async function unary(
  api: CallControlClient,
  line: RunLine,
  invocation: Extract<Invocation, { kind: 'unary' }>,
  output: Output,
) {
  // The union of calls does not tell TypeScript that each method gets its own request.
  const method = api[invocation.method] as (request: UnaryCall['request']) => Promise<unknown>;
  const response = await method(invocation.request);
  output.stdout(line.json ? responseJson(invocation.method, response) : responseText(invocation, response));
  return EXIT_OK;
}

/** A refusal from the server (or none reachable) prints `error: CODE: message`: exit 1. */
function refused(error: unknown, output: Output): number {
  if (!(error instanceof GrpcStatusError)) throw error;
  output.stderr(grpcErrorText({ code: error.status, details: error.details }));
  return EXIT_FAILED;
}

/** The token and TLS files as client options; a file that cannot be read is a command-line mistake. */
async function securityOptions(line: RunLine): Promise<Pick<ClientOptions, 'token' | 'tls'>> {
  const { token, tls, caFile, certFile, keyFile } = line.security;
  const read = async (path: string | undefined) => {
    if (path === undefined) return {};
    try {
      return { pem: await readFile(path) };
    } catch (error) {
      throw new UsageError(
        `cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read(caFile), read(certFile), read(keyFile)]);
  return {
    ...(token ? { token } : {}),
    ...(tls
      ? {
          tls: {
            ...(ca.pem ? { ca: ca.pem } : {}),
            ...(cert.pem && key.pem ? { cert: cert.pem, key: key.pem } : {}),
          },
        }
      : {}),
  };
}

/** Runs one parsed command against the server; returns the exit code. */
export async function run(line: CommandLine, output: Output, stop: AbortSignal): Promise<number> {
  if (line.kind === 'help') {
    output.stdout(line.text);
    return EXIT_OK;
  }
  const { invocation } = line;
  let security;
  try {
    security = await securityOptions(line);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.stderr(`error: ${error.message}`);
    return EXIT_USAGE;
  }
  const at = { address: line.server, deadlineMs: line.timeoutMs, ...security };
  const using = async <Client extends { close(): void }>(
    client: Client,
    act: (client: Client) => Promise<number>,
  ): Promise<number> => {
    try {
      return await act(client);
    } catch (error) {
      return refused(error, output);
    } finally {
      client.close();
    }
  };
  if (invocation.kind === 'media' || invocation.kind === 'upload')
    return using(createMediaLibraryClient(at), (library) =>
      invocation.kind === 'upload'
        ? upload(library, { ...line, invocation }, output, stop)
        : printed(library[invocation.method], invocation, mediaResponseText, responseJson, line, output),
    );
  if (invocation.kind === 'recordings' || invocation.kind === 'download')
    return using(createRecordingsClient(at), (client) =>
      invocation.kind === 'download'
        ? download(client, { ...line, invocation }, output, stop)
        : printed(client[invocation.method], invocation, recordingsResponseText, responseJson, line, output),
    );
  if (invocation.kind === 'provisioning')
    return using(createProvisioningClient({ ...at, address: invocation.address }), (client) =>
      printed(
        client[invocation.method],
        invocation,
        provisioningResponseText,
        provisioningResponseJson,
        line,
        output,
      ),
    );
  if (invocation.kind === 'callback' || invocation.kind === 'callback-watch')
    return using(createCallbackClient({ ...at, address: invocation.address }), (client) =>
      callbackCommand(client, line, invocation, output, stop),
    );
  return using(createCallControlClient(at), (api) =>
    invocation.kind === 'watch'
      ? watch(api, { ...line, invocation }, output, stop)
      : unary(api, line, invocation, output),
  );
}
