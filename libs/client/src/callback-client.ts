// The promise client of the public callctl.v1.Callback API (the callback service, its own address: default
// 127.0.0.1:50057). Same conventions as the other clients (ClientOptions, CallOptions, GrpcStatusError);
// types come from the generated service definition.
import { callback } from '@callctl/proto';
import { connectionOf } from './client-connection.js';
import { DEFAULT_DEADLINE_MS, type CallOptions, type ClientOptions } from './client-options.js';
import { watchEvents, type EventFeed, type WatchOptions } from './event-feed.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { metadataOf, unaryMethods, waitForReady } from './unary-call.js';

type Definition = typeof callback.CallbackService;

/** The unary methods of Callback (WatchCallbackEvents streams and has its own method). */
export type CallbackUnaryMethod = {
  [K in keyof Definition]: Definition[K]['responseStream'] extends false ? K : never;
}[keyof Definition];
type WireRequestOf<M extends CallbackUnaryMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/** What a method takes: fields left out get their proto3 defaults. */
export type CallbackRequestOf<M extends CallbackUnaryMethod> = callback.DeepPartial<WireRequestOf<M>>;
export type CallbackResponseOf<M extends CallbackUnaryMethod> = ReturnType<
  Definition[M]['responseDeserialize']
>;

const REQUEST_TYPES: { readonly [M in CallbackUnaryMethod]: callback.MessageFns<WireRequestOf<M>> } = {
  startCallback: callback.StartCallbackRequest,
  getCallback: callback.GetCallbackRequest,
  listCallbacks: callback.ListCallbacksRequest,
  cancelCallback: callback.CancelCallbackRequest,
  getCallbackStats: callback.GetCallbackStatsRequest,
};

type UnaryMethods = {
  readonly [M in CallbackUnaryMethod]: (
    request: CallbackRequestOf<M>,
    options?: CallOptions,
  ) => Promise<CallbackResponseOf<M>>;
};

/**
 * Callback as promises (the methods are bound). A refusal rejects with a GrpcStatusError (RESOURCE_EXHAUSTED
 * beyond the service's admission limits: kind `unavailable`, try later). Retried on UNAVAILABLE: the reads,
 * CancelCallback (cancelling again is OK), and StartCallback (its idempotency_key is required, and the
 * same key and fields give back the same callback).
 */
export interface CallbackClient extends UnaryMethods {
  /** Callback events from a log position, stored then live, as an async iterable that resumes after a drop. */
  watchCallbackEvents(
    request: callback.DeepPartial<callback.WatchCallbackEventsRequest>,
    options?: WatchOptions,
  ): EventFeed<callback.WatchCallbackEventsResponse>;
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/** As every client of the public API; `address` is the callback service's (not CallControl's). */
export type CallbackClientOptions = ClientOptions;

export function createCallbackClient(options: CallbackClientOptions): CallbackClient {
  const connection = connectionOf(options);
  const client = new callback.CallbackClient(options.address, connection.credentials);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clientDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const ready = (timeoutMs: number) => waitForReady(client, options.address, timeoutMs);

  const unary = unaryMethods<UnaryMethods>({
    client,
    definition: callback.CallbackService,
    requestTypes: REQUEST_TYPES,
    connection,
    retry,
    deadlineMs: () => clientDeadlineMs,
  });

  return {
    ...unary,
    watchCallbackEvents: (request, watchOptions = {}) => {
      const wire = callback.WatchCallbackEventsRequest.fromPartial(request);
      return watchEvents(
        {
          rpc: 'WatchCallbackEvents',
          open: (from, metadata) => client.watchCallbackEvents({ ...wire, fromPosition: from }, metadata),
          waitForReady: ready,
          metadata: (extra) => metadataOf(connection.metadata, extra),
          reconnectTimeoutMs: clientDeadlineMs,
        },
        wire.fromPosition,
        watchOptions,
      );
    },
    waitForReady: ready,
    close: () => client.close(),
  };
}
