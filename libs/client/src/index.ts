export {
  createCallControlClient,
  BRIDGE_LEGS_DEADLINE_MS,
  DEFAULT_DEADLINE_MS,
  UNARY_METHODS,
  type CallControlClient,
  type CallControlClientOptions,
  type CallOptions,
  type RequestOf,
  type ResponseOf,
  type UnaryMethod,
} from './call-control-client.js';
export { type EventFeed, type WatchOptions } from './event-feed.js';
export { backoffMs, isIdempotent, DEFAULT_RETRY_POLICY, NO_RETRIES, type RetryPolicy } from './retry.js';
export { GrpcStatusError } from '@callctl/errors/grpc';
