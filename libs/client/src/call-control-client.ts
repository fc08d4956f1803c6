// The promise client of the public callctl.v1.CallControl API: what callctl, the benchmark's application,
// the tests and the coming callback service use instead of the generated callback client. Types come from
// the generated service definition (@callctl/proto), never written out here.
import {
  credentials as grpcCredentials,
  Metadata,
  status as GrpcStatus,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { callControl } from '@callctl/proto';
import { GrpcStatusError, isReceivedStatus } from '@callctl/errors/grpc';
import { watchEvents, type EventFeed, type WatchOptions } from './event-feed.js';
import { backoffMs, DEFAULT_RETRY_POLICY, isIdempotent, type RetryPolicy } from './retry.js';

type Definition = typeof callControl.CallControlService;

/** The unary methods of CallControl, by their generated (camelCase) names. */
export type UnaryMethod = {
  [K in keyof Definition]: Definition[K]['responseStream'] extends false ? K : never;
}[keyof Definition];
/** The request as sent on the wire: every field present. */
type WireRequestOf<M extends UnaryMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/**
 * What a method takes: fields left out get their proto3 defaults, so code written against an older
 * version of the API keeps compiling when a request gains a field.
 */
export type RequestOf<M extends UnaryMethod> = callControl.DeepPartial<WireRequestOf<M>>;
export type ResponseOf<M extends UnaryMethod> = ReturnType<Definition[M]['responseDeserialize']>;

/** Each method's request type, to fill in the fields a caller left out. */
const REQUEST_TYPES: { readonly [M in UnaryMethod]: callControl.MessageFns<WireRequestOf<M>> } = {
  createCall: callControl.CreateCallRequest,
  answerLeg: callControl.AnswerLegRequest,
  rejectLeg: callControl.RejectLegRequest,
  hangup: callControl.HangupRequest,
  playMedia: callControl.PlayMediaRequest,
  stopMedia: callControl.StopMediaRequest,
  collectDigits: callControl.CollectDigitsRequest,
  startEcho: callControl.StartEchoRequest,
  stopEcho: callControl.StopEchoRequest,
  bridgeLegs: callControl.BridgeLegsRequest,
  dial: callControl.DialRequest,
  getCall: callControl.GetCallRequest,
  listCalls: callControl.ListCallsRequest,
  say: callControl.SayRequest,
  sendDtmf: callControl.SendDtmfRequest,
  setDtmfDetection: callControl.SetDtmfDetectionRequest,
};

export const UNARY_METHODS = (Object.keys(callControl.CallControlService) as Array<keyof Definition>).filter(
  (name): name is UnaryMethod => !callControl.CallControlService[name].responseStream,
);

/** Deadline of a call, all its attempts included, unless the client or the call sets one. */
export const DEFAULT_DEADLINE_MS = 10_000;
/**
 * BridgeLegs may take up to 20 s when far ends are slow to answer re-INVITEs (see the proto), so its
 * default deadline leaves room above that.
 */
export const BRIDGE_LEGS_DEADLINE_MS = 25_000;

export interface CallControlClientOptions {
  /** host:port of the CallControl server. */
  address: string;
  /** Deadline of each call (BridgeLegs: the larger of this and BRIDGE_LEGS_DEADLINE_MS). @default DEFAULT_DEADLINE_MS */
  deadlineMs?: number;
  /** How idempotent calls are retried on UNAVAILABLE. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** Sent with every call, e.g. `x-correlation-id`; a call's own metadata is added to it. */
  metadata?: Readonly<Record<string, string>>;
  /** @default insecure (the platform's gRPC is plain on loopback or inside the cluster) */
  credentials?: ChannelCredentials;
}

/** Per call: overrides of the client's settings. */
export interface CallOptions {
  /** Deadline of this call, all its attempts included. */
  deadlineMs?: number;
  /** Added to the client's metadata, e.g. a `traceparent`. */
  metadata?: Readonly<Record<string, string>>;
  /** Aborting cancels the call; it rejects with CANCELLED (kind `unavailable`). */
  signal?: AbortSignal;
}

type UnaryMethods = {
  readonly [M in UnaryMethod]: (request: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>;
};

/**
 * Every unary RPC as a promise (the methods are bound: `const { getCall } = client` works). A refusal
 * rejects with a GrpcStatusError (@callctl/errors/grpc): `kind` for code, `status` and `details` as sent.
 */
export interface CallControlClient extends UnaryMethods {
  /** Events from a log position, stored then live, as an async iterable that resumes after a drop. */
  watchEvents(request: callControl.WatchEventsRequest, options?: WatchOptions): EventFeed;
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

function metadataOf(...sources: Array<Readonly<Record<string, string>> | undefined>): Metadata {
  const metadata = new Metadata();
  for (const source of sources)
    for (const [key, value] of Object.entries(source ?? {})) metadata.set(key, value);
  return metadata;
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export function createCallControlClient(options: CallControlClientOptions): CallControlClient {
  const client = new callControl.CallControlClient(
    options.address,
    options.credentials ?? grpcCredentials.createInsecure(),
  );
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clientDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;

  const attempt = <M extends UnaryMethod>(
    method: M,
    request: WireRequestOf<M>,
    metadata: Metadata,
    deadline: number,
    signal: AbortSignal | undefined,
  ) =>
    new Promise<ResponseOf<M>>((resolve, reject) => {
      const definition = callControl.CallControlService[method];
      const call = client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize as (value: WireRequestOf<M>) => Buffer,
        definition.responseDeserialize as (value: Buffer) => ResponseOf<M>,
        request,
        metadata,
        { deadline },
        (error: ServiceError | null, response?: ResponseOf<M>) => {
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

  async function invoke<M extends UnaryMethod>(
    method: M,
    request: RequestOf<M>,
    callOptions: CallOptions = {},
  ): Promise<ResponseOf<M>> {
    const deadlineMs =
      callOptions.deadlineMs ??
      (method === 'bridgeLegs' ? Math.max(clientDeadlineMs, BRIDGE_LEGS_DEADLINE_MS) : clientDeadlineMs);
    const deadline = Date.now() + deadlineMs;
    const metadata = metadataOf(options.metadata, callOptions.metadata);
    const wire = (REQUEST_TYPES[method] as callControl.MessageFns<WireRequestOf<M>>).fromPartial(
      request as never,
    );
    const retriable = isIdempotent(method, wire);
    for (let attempts = 1; ; attempts++) {
      try {
        return await attempt(method, wire, metadata, deadline, callOptions.signal);
      } catch (error) {
        if (!isReceivedStatus(error)) throw error; // not a status: a request that would not serialize
        const received = error;
        const wait =
          retriable && received.code === GrpcStatus.UNAVAILABLE
            ? backoffMs(retry, attempts, Math.random())
            : undefined;
        // A wait that would end past the deadline cannot lead to an answer in time: report what we have.
        if (wait === undefined || Date.now() + wait >= deadline || callOptions.signal?.aborted)
          throw new GrpcStatusError(received, { rpc: definitionName(method) });
        await sleep(wait, callOptions.signal);
      }
    }
  }

  const waitForReady = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + timeoutMs, (error) =>
        error
          ? reject(
              new GrpcStatusError({
                code: GrpcStatus.UNAVAILABLE,
                details: `cannot reach ${options.address} within ${timeoutMs} ms`,
              }),
            )
          : resolve(),
      ),
    );

  const unary = Object.fromEntries(
    UNARY_METHODS.map((method) => [
      method,
      (request: RequestOf<typeof method>, callOptions?: CallOptions) => invoke(method, request, callOptions),
    ]),
  ) as unknown as UnaryMethods;

  return {
    ...unary,
    watchEvents: (request, watchOptions = {}) =>
      watchEvents(
        {
          open: (from, metadata) => client.watchEvents({ ...request, fromPosition: from }, metadata),
          waitForReady,
          metadata: (extra) => metadataOf(options.metadata, extra),
          reconnectTimeoutMs: clientDeadlineMs,
        },
        request.fromPosition,
        watchOptions,
      ),
    waitForReady,
    close: () => client.close(),
  };
}

/** `getCall` -> `GetCall`, as the proto and the server's logs name it. */
function definitionName(method: UnaryMethod): string {
  return callControl.CallControlService[method].path.slice(
    callControl.CallControlService[method].path.lastIndexOf('/') + 1,
  );
}
