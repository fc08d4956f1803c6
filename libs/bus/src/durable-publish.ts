import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import type { ProtoCodec } from './messages.js';
import { publishToStream, type StreamAck } from './stream-publish.js';
import { tracedHeaders } from './trace-headers.js';

export interface DurablePublishOptions {
  /**
   * Nats-Msg-Id. JetStream drops a second publish with the same id inside the stream's duplicate window,
   * so a retry after a lost ack is stored once. Keep giveUpAfterMs below that window.
   */
  msgId: string;
  /** Give up (and throw) once this long has passed since the first attempt. */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for the stream's ack. @default 2000 */
  attemptTimeoutMs?: number;
  /** Wait before the second attempt; doubled after each failure up to maxBackoffMs. @default 100 */
  initialBackoffMs?: number;
  /** @default 2000 */
  maxBackoffMs?: number;
  headers?: MsgHdrs;
  /** Names the publish's span (StreamPublishOptions.destinationTemplate). */
  destinationTemplate?: string;
  /** Stops retrying (the last error is thrown), e.g. at shutdown. */
  signal?: AbortSignal;
  /** Told about each failed attempt that will be retried (for logs). */
  onRetry?(attempt: number, error: unknown): void;
}

export const DEFAULT_PUBLISH_ATTEMPT_TIMEOUT_MS = 2000;
export const DEFAULT_PUBLISH_INITIAL_BACKOFF_MS = 100;
export const DEFAULT_PUBLISH_MAX_BACKOFF_MS = 2000;

/** Every attempt of a durable publish failed within its time bound. */
export class DurablePublishError extends Error {
  override readonly name = 'DurablePublishError';
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly subject: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(`publish to ${subject} not acknowledged after ${attempts} attempts`, options);
  }
}

/**
 * Publishes a protobuf message to a JetStream stream and resolves with the stream's ack: the message is
 * stored. A missing ack (server down or restarting, no responders, timeout) is retried with exponential
 * backoff under the same message id until giveUpAfterMs; every failure is retried, since the id makes the
 * publish idempotent.
 */
export async function publishDurably<T>(
  nc: NatsConnection,
  subject: string,
  codec: ProtoCodec<T>,
  message: T,
  options: DurablePublishOptions,
): Promise<StreamAck> {
  const data = codec.encode(message).finish();
  const started = performance.now();
  let backoffMs = options.initialBackoffMs ?? DEFAULT_PUBLISH_INITIAL_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishToStream(nc, subject, data, {
        msgId: options.msgId,
        timeoutMs: options.attemptTimeoutMs ?? DEFAULT_PUBLISH_ATTEMPT_TIMEOUT_MS,
        headers: tracedHeaders(options.headers),
        ...(options.destinationTemplate ? { destinationTemplate: options.destinationTemplate } : {}),
      });
    } catch (error) {
      const left = options.giveUpAfterMs - (performance.now() - started);
      if (left <= 0 || options.signal?.aborted || nc.isClosed())
        throw new DurablePublishError(subject, attempt, { cause: error });
      options.onRetry?.(attempt, error);
      await sleep(Math.min(backoffMs, left), options.signal);
      backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs ?? DEFAULT_PUBLISH_MAX_BACKOFF_MS);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
