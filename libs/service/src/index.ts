export {
  runService,
  startService,
  EXIT_CONFIG,
  EXIT_START_FAILED,
  StartFailedError,
  type ProcessHooks,
  type ServiceConfig,
  type ServiceDefinition,
  type Stops,
} from './run-service.js';
export { Shutdown, type DrainOutcome, type ShutdownOptions } from './shutdown.js';
export {
  startGrpcServer,
  type GrpcServerOptions,
  type GrpcListenOptions,
  type RunningGrpcServer,
  type ServiceBinding,
} from './grpc-server.js';
export { HealthRegistry, SERVING_STATUS, type ServingStatusName } from './health.js';
export { SERVICE_NODE_FLAGS } from './node-flags.js';
export { sha1Uuid } from './sha1-uuid.js';
export { KeyedQueue } from './keyed-queue.js';
export { StatusRefusal, unaryHandler } from './grpc-unary.js';
export {
  callPeer,
  peerErrorKind,
  PEER_CHANNEL_OPTIONS,
  type PeerCallOptions,
  type PeerFailure,
  type Unary,
} from './peer-call.js';
export {
  OwnerDirectory,
  PeerClients,
  Turns,
  liveOrFallback,
  ownerFromAnswers,
  type OwnerDirectoryOptions,
  type OwnerLookup,
  type PeerInstance,
  type PeerInstances,
  type ProbeAnswer,
} from './routing/owner-directory.js';
export {
  mediaSessionOwners,
  type MediaSessionOwners,
  type MediaSessionOwnersOptions,
} from './routing/media-session-owners.js';
export {
  internalChannelCredentials,
  internalServerTls,
  serverCredentials,
  type Credentials,
  type InternalTls,
  type ServerTlsFiles,
} from './grpc-credentials.js';
export { CertificateFiles, TlsFilesError, type CertificateFilesOptions } from './certificate-files.js';
export { DEFAULT_RELOAD_INTERVAL_MS } from './polled-files.js';
export {
  ALL_SCOPES,
  ApiCredentialsError,
  parseApiCredentials,
  tokenHash,
  type ApiCredentials,
  type ApiPrincipal,
} from './api-credentials.js';
export {
  apiAuth,
  watchApiCredentials,
  AUTH_FAILURES,
  noAuthFailures,
  OPEN_METHODS,
  PRINCIPAL_METADATA,
  type ApiAuth,
  type ApiAuthOptions,
  type ApiCredentialsFile,
  type AuthFailure,
} from './api-auth.js';
export { startPublicGrpcServer, type PublicGrpcServerOptions } from './public-grpc-server.js';
export { API_SCOPES, KNOWN_API_SCOPES, scopesByPath, type ApiScope, type ScopeTable } from './api-scopes.js';
export { ForkClient, type ForkClientOptions, type ForkedParty, type ForkPort } from './media-fork-client.js';
