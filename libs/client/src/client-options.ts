// What every client of the public API takes (CallControl, MediaLibrary): one set of conventions for the
// address, deadlines, retries and metadata, so a program that uses both configures them once.
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { RetryPolicy } from './retry.js';

/** Deadline of a call, all its attempts included, unless the client or the call sets one. */
export const DEFAULT_DEADLINE_MS = 10_000;

export interface ClientOptions {
  /** host:port of the server (the call-orchestrator serves CallControl and MediaLibrary on one address). */
  address: string;
  /** Deadline of each call (some methods take a larger one, see their docs). @default DEFAULT_DEADLINE_MS */
  deadlineMs?: number;
  /** How idempotent calls are retried on UNAVAILABLE. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** Sent with every call, e.g. `x-correlation-id`; a call's own metadata is added to it. */
  metadata?: Readonly<Record<string, string>>;
  /** Sent as `authorization: Bearer <token>` with every call (the server's API_AUTH=token). */
  token?: string;
  /**
   * TLS to the server (its GRPC_TLS_*): `true` trusts the system's CAs; `ca` (PEM) trusts that CA instead;
   * `cert` and `key` (PEM) present a client certificate to a server that asks for one.
   * @default plain (the local stack's API on loopback)
   */
  tls?: boolean | ClientTls;
  /** Channel credentials made elsewhere; they replace `tls`. */
  credentials?: ChannelCredentials;
}

export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
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
