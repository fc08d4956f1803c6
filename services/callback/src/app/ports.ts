// The seams between the callback service's parts. The core (domain + app: callbacks.ts, effects.ts) sits
// behind `Callbacks`; the gRPC adapter and the IIF call it, and the IIF's RESPONSE sender is told of ended
// callbacks through `IifResponses`. Each side is built and tested on its own against these types.
import type { callback } from '@callctl/proto';

/** What a callback is asked to do, from either interface, after syntax checks (not yet resolved). */
export interface CallbackSpec {
  user1: string;
  user2: string;
  /** Seconds from user1's answer; 0 = no limit of the callback's own. */
  maxDurationS: number;
  /** 8-digit announcement ids; undefined = the default (ann1) or none (ann2). */
  annId1?: string;
  annId2?: string;
  /** Digits spoken to user2 on answer. */
  annDigits2?: string;
  /** A number or a sip: URI; undefined = the configured default caller. */
  caller?: string;
  clientState?: string;
}

/** Who asked: the gRPC API (with its idempotency key) or an IIF peer (its id is the key, per peer). */
export type CallbackOrigin =
  | { kind: 'grpc'; idempotencyKey: string }
  | { kind: 'iif'; peerName: string; peerAddress: string; iifId: string };

/** Why a request was refused; the gRPC adapter maps each to a status, the IIF answers all with code=fail. */
export type RefusalReason =
  | 'invalid' // a field is malformed (message says which): INVALID_ARGUMENT
  | 'unknown-user' // no dial-plan rule: NOT_FOUND
  | 'unknown-announcement' // NOT_FOUND
  | 'duplicate' // the key is bound to another request in progress (or, gRPC, ever): ALREADY_EXISTS
  | 'concurrency' // CALLBACK_MAX_ACTIVE reached: RESOURCE_EXHAUSTED
  | 'rate' // CALLBACK_MAX_PER_SECOND exceeded: RESOURCE_EXHAUSTED
  | 'unavailable'; // the event log or the platform is down: UNAVAILABLE

export type StartOutcome =
  | {
      ok: true;
      view: callback.CallbackView;
      /** False when the key was already bound to this very request (a replay): nothing new was started. */
      created: boolean;
    }
  | { ok: false; reason: RefusalReason; message: string };

export interface ListQuery {
  pageSize: number;
  pageToken: string;
  activeOnly: boolean;
}

/** The core, as both interfaces see it. Implemented by app/callbacks.ts. */
export interface Callbacks {
  start(spec: CallbackSpec, origin: CallbackOrigin): Promise<StartOutcome>;
  /** undefined for an unknown id. */
  get(callbackId: string): Promise<callback.CallbackView | undefined>;
  list(query: ListQuery): Promise<callback.ListCallbacksResponse>;
  /** 'not-found' for an unknown id; 'over' when it had already ended (nothing recorded). */
  cancel(callbackId: string, reason: string): Promise<'cancelled' | 'over' | 'not-found'>;
  /** Records CallbackResponseSettled (the IIF RESPONSE sender calls it once per ended IIF callback). */
  settleResponse(callbackId: string, acknowledged: boolean, attempts: number): Promise<void>;
  stats(): CallbackStats;
}

/** Counters of the core; the IIF adds its own (GetCallbackStatsResponse has both). */
export interface CallbackStats {
  active: number;
  admitted: number;
  refusedConcurrency: number;
  refusedRate: number;
}

/** A RESPONSE owed to an IIF peer: the callback is over (ended or failed) and its RESPONSE not settled. */
export interface OwedResponse {
  callbackId: string;
  iifId: string;
  peerAddress: string;
  realDurationS: number;
}

/**
 * The IIF's RESPONSE sender, as the core sees it: told of every owed RESPONSE once the callback is over, and
 * again at start for those the log shows unsettled (a restart resends; settling is recorded through
 * Callbacks.settleResponse). Implemented by iif/response-sender.ts.
 */
export interface IifResponses {
  owe(response: OwedResponse): void;
}
