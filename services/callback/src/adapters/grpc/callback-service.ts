// callctl.v1.Callback over the core (`Callbacks`) and the callback log: request checks, the core's answers
// as statuses, and the watch of the log. No state of its own.
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { NotFoundError, ValidationError } from '@callctl/errors';
import { toServiceError } from '@callctl/errors/grpc';
import {
  CALLBACK_CATEGORY,
  categoryOfStream,
  decodedEventResponse,
  type CodecRegistry,
  type EventWatchers,
  type RecordedEvent,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import { callback } from '@callctl/proto';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { Callbacks } from '../../app/ports.js';
import type { IifCounters } from '../../iif/iif-server.js';
import type { ResponseCounters } from '../../iif/response-sender.js';
import { refusalOf } from './refusals.js';
import { startSpecOf } from './start-request.js';

export const CALLBACK_SERVICE = 'callctl.v1.Callback';

/** ListCallbacksRequest.page_size: 0 = this many; more than MAX_PAGE_SIZE is refused. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

const STREAM_PREFIX = `${CALLBACK_CATEGORY.category}-`;

/**
 * `CallbackUser1Called` -> `user1Called`: WatchCallbackEventsResponse names its oneof cases without the
 * `Callback` every type starts with.
 */
export const watchCaseOf = (type: string): string => {
  const bare = type.startsWith('Callback') ? type.slice('Callback'.length) : type;
  return bare.charAt(0).toLowerCase() + bare.slice(1);
};

export function watchCallbackResponse(
  event: RecordedEvent,
  codecs: CodecRegistry,
): callback.WatchCallbackEventsResponse {
  return decodedEventResponse(event, codecs, watchCaseOf);
}

export interface CallbackServiceDeps {
  callbacks: Callbacks;
  watchers: EventWatchers;
  codecs: CodecRegistry;
  iifCounters?: (() => IifCounters & ResponseCounters) | undefined;
  log: Logger;
}

const required = (field: string, value: string) => {
  if (!value) throw new ValidationError(`${field}: required`, { field });
  return value;
};

export function callbackService(deps: CallbackServiceDeps): ServiceBinding {
  const { callbacks, log } = deps;
  const unary = unaryHandler(log);
  const implementation = {
    startCallback: unary(
      async (r: callback.StartCallbackRequest): Promise<callback.StartCallbackResponse> => {
        const { spec, idempotencyKey } = startSpecOf(r);
        const outcome = await callbacks.start(spec, { kind: 'grpc', idempotencyKey });
        if (!outcome.ok) throw refusalOf(outcome.reason, outcome.message);
        return { callback: outcome.view };
      },
    ),
    getCallback: unary(async (r: callback.GetCallbackRequest): Promise<callback.GetCallbackResponse> => {
      const view = await callbacks.get(required('callback_id', r.callbackId));
      if (!view)
        throw new NotFoundError(`callback ${r.callbackId} does not exist`, { callbackId: r.callbackId });
      return { callback: view };
    }),
    listCallbacks: unary(
      async (r: callback.ListCallbacksRequest): Promise<callback.ListCallbacksResponse> => {
        if (r.pageSize > MAX_PAGE_SIZE)
          throw new ValidationError(`page_size: at most ${MAX_PAGE_SIZE} (got ${r.pageSize})`, {
            field: 'page_size',
          });
        return callbacks.list({
          pageSize: r.pageSize || DEFAULT_PAGE_SIZE,
          pageToken: r.pageToken,
          activeOnly: r.activeOnly,
        });
      },
    ),
    cancelCallback: unary(
      async (r: callback.CancelCallbackRequest): Promise<callback.CancelCallbackResponse> => {
        const outcome = await callbacks.cancel(required('callback_id', r.callbackId), r.reason);
        if (outcome === 'not-found')
          throw new NotFoundError(`callback ${r.callbackId} does not exist`, { callbackId: r.callbackId });
        // 'over': nothing to release, and nothing recorded; the caller wanted it over, and it is.
        return {};
      },
    ),
    getCallbackStats: unary(async (): Promise<callback.GetCallbackStatsResponse> => {
      const core = callbacks.stats();
      const iif = deps.iifCounters?.();
      return {
        active: core.active,
        admitted: core.admitted,
        refusedConcurrency: core.refusedConcurrency,
        refusedRate: core.refusedRate,
        iifRequests: iif?.requests ?? 0,
        iifFailed: iif?.failed ?? 0,
        iifDroppedUnknownPeer: iif?.droppedUnknownPeer ?? 0,
        iifDroppedMalformed: iif?.droppedMalformed ?? 0,
        iifRetransmissions: iif?.retransmissions ?? 0,
        iifResponsesSent: iif?.sent ?? 0,
        iifResponsesAcknowledged: iif?.acknowledged ?? 0,
        iifResponsesAbandoned: iif?.abandoned ?? 0,
      };
    }),
    watchCallbackEvents: (
      call: ServerWritableStream<callback.WatchCallbackEventsRequest, callback.WatchCallbackEventsResponse>,
    ) => {
      const { fromPosition, callbackId } = call.request;
      const stream = `${STREAM_PREFIX}${callbackId}`;
      deps.watchers
        .serve(call, {
          fromPosition,
          // The log also holds the idempotency claims (`callbackkey-...`): callback streams only.
          accepts: (event) =>
            callbackId
              ? event.streamId === stream
              : categoryOfStream(event.streamId) === CALLBACK_CATEGORY.category,
          toResponse: (event) => watchCallbackResponse(event, deps.codecs),
        })
        // grpc-js sends a server stream's status from its 'error' event (then ends it).
        .catch((error: unknown) =>
          call.emit('error', toServiceError(error, log.child({ rpc: 'WatchCallbackEvents' }))),
        );
    },
  };
  return {
    name: CALLBACK_SERVICE,
    definition: callback.CallbackService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
