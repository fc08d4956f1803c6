// One unary gRPC call made the way every client of the public API makes it: a deadline covering all its
// attempts, retries of idempotent calls on UNAVAILABLE only, a received status turned into a
// GrpcStatusError, and an AbortSignal that cancels it. CallControl and MediaLibrary both go through here.
import { Metadata, status as GrpcStatus, type Client, type ServiceError } from '@grpc/grpc-js';
import { GrpcStatusError, isReceivedStatus } from '@callctl/errors/grpc';
import type { ClientConnection } from './client-connection.js';
import type { CallOptions } from './client-options.js';
import { backoffMs, isIdempotent, type RetryPolicy } from './retry.js';

/** The part of a generated method definition a unary call needs. */
export interface UnaryDefinition<Request, Response> {
  path: string;
  requestSerialize(value: Request): Buffer;
  responseDeserialize(value: Buffer): Response;
}

export interface UnaryCallSpec<Request, Response> {
  client: Client;
  definition: UnaryDefinition<Request, Response>;
  request: Request;
  metadata: Metadata;
  /** Epoch ms: no attempt runs past it, and no retry is started that would wait past it. */
  deadline: number;
  /** May it be sent again after UNAVAILABLE? */
  retriable: boolean;
  retry: RetryPolicy;
  signal?: AbortSignal | undefined;
}

export function metadataOf(...sources: Array<Readonly<Record<string, string>> | undefined>): Metadata {
  const metadata = new Metadata();
  for (const source of sources)
    for (const [key, value] of Object.entries(source ?? {})) metadata.set(key, value);
  return metadata;
}

/** `/callctl.v1.CallControl/GetCall` -> `GetCall`, as the proto and the server's logs name it. */
export const rpcName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

function attempt<Request, Response>(spec: UnaryCallSpec<Request, Response>): Promise<Response> {
  const { client, definition, signal } = spec;
  return new Promise<Response>((resolve, reject) => {
    const call = client.makeUnaryRequest(
      definition.path,
      (value: Request) => definition.requestSerialize(value),
      (value: Buffer) => definition.responseDeserialize(value),
      spec.request,
      spec.metadata,
      { deadline: spec.deadline },
      (error: ServiceError | null, response?: Response) => {
        signal?.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve(response!);
      },
    );
    function cancel() {
      call.cancel();
    }
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

/** Makes the call, retrying as the spec allows; rejects with a GrpcStatusError naming the RPC. */
export async function callUnary<Request, Response>(
  spec: UnaryCallSpec<Request, Response>,
): Promise<Response> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt(spec);
    } catch (error) {
      if (!isReceivedStatus(error)) throw error; // not a status: a request that would not serialize
      const wait =
        spec.retriable && error.code === GrpcStatus.UNAVAILABLE
          ? backoffMs(spec.retry, attempts, Math.random())
          : undefined;
      // A wait that would end past the deadline cannot lead to an answer in time: report what we have.
      if (wait === undefined || Date.now() + wait >= spec.deadline || spec.signal?.aborted)
        throw new GrpcStatusError(error, { rpc: rpcName(spec.definition.path) });
      await sleep(wait, spec.signal);
    }
  }
}

/** Resolves once the client's channel is connected; rejects with UNAVAILABLE if not within timeoutMs. */
export function waitForReady(client: Client, address: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (error) =>
      error
        ? reject(
            new GrpcStatusError({
              code: GrpcStatus.UNAVAILABLE,
              details: `cannot reach ${address} within ${timeoutMs} ms`,
            }),
          )
        : resolve(),
    ),
  );
}

/** What the clients of the API share to make their unary methods (the generated parts, and the settings). */
export interface UnaryMethodsSpec {
  client: Client;
  /** The generated service definition (`recordings.RecordingsService`). */
  definition: Readonly<Record<string, unknown>>;
  /** Each unary method's request type, to fill in the fields a caller left out; its keys name the methods. */
  requestTypes: Readonly<Record<string, { fromPartial(object: never): unknown }>>;
  connection: ClientConnection;
  retry: RetryPolicy;
  /** The deadline of a call that sets none. */
  deadlineMs(method: string): number;
}

/**
 * The unary methods of a service as bound promise functions: each fills in its request, sends it with the
 * client's metadata and the call's, under one deadline for all attempts, retrying what isIdempotent allows.
 * `Methods` is the client's own mapped type of them (typed by the generated definition).
 */
export function unaryMethods<Methods>(spec: UnaryMethodsSpec): Methods {
  const { client, connection, retry } = spec;
  const method =
    (name: string) =>
    (request: unknown, callOptions: CallOptions = {}) => {
      const wire = spec.requestTypes[name]!.fromPartial(request as never) as object;
      return callUnary({
        client,
        definition: spec.definition[name] as UnaryDefinition<object, unknown>,
        request: wire,
        metadata: metadataOf(connection.metadata, callOptions.metadata),
        deadline: Date.now() + (callOptions.deadlineMs ?? spec.deadlineMs(name)),
        retriable: isIdempotent(name, wire),
        retry,
        signal: callOptions.signal,
      });
    };
  return Object.fromEntries(
    Object.keys(spec.requestTypes)
      .sort()
      .map((name) => [name, method(name)]),
  ) as Methods;
}
