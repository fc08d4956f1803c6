export {
  createCallControlClient,
  BRIDGE_LEGS_DEADLINE_MS,
  UNARY_METHODS,
  type CallControlClient,
  type CallControlClientOptions,
  type RequestOf,
  type ResponseOf,
  type UnaryMethod,
} from './call-control-client.js';
export {
  createMediaLibraryClient,
  UPLOAD_CHUNK_BYTES,
  UPLOAD_MEDIA_DEADLINE_MS,
  type MediaLibraryClient,
  type MediaLibraryClientOptions,
  type MediaRequestOf,
  type MediaResponseOf,
  type MediaUnaryMethod,
  type MediaUpload,
} from './media-library-client.js';
export {
  createRecordingsClient,
  DOWNLOAD_RECORDING_DEADLINE_MS,
  type RecordingsClient,
  type RecordingsClientOptions,
  type RecordingsRequestOf,
  type RecordingsResponseOf,
  type RecordingsUnaryMethod,
} from './recordings-client.js';
export {
  createCallbackClient,
  type CallbackClient,
  type CallbackClientOptions,
  type CallbackRequestOf,
  type CallbackResponseOf,
  type CallbackUnaryMethod,
} from './callback-client.js';
export {
  createProvisioningClient,
  type ProvisioningClient,
  type ProvisioningClientOptions,
  type ProvisioningMethod,
  type ProvisioningRequestOf,
  type ProvisioningResponseOf,
} from './provisioning-client.js';
export {
  DEFAULT_DEADLINE_MS,
  type CallOptions,
  type ClientOptions,
  type ClientTls,
} from './client-options.js';
export { type EventFeed, type WatchMessage, type WatchOptions } from './event-feed.js';
export { backoffMs, isIdempotent, DEFAULT_RETRY_POLICY, NO_RETRIES, type RetryPolicy } from './retry.js';
export { GrpcStatusError } from '@callctl/errors/grpc';
