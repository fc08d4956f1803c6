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
  type RunningGrpcServer,
  type ServiceBinding,
} from './grpc-server.js';
export { HealthRegistry, SERVING_STATUS, type ServingStatusName } from './health.js';
export { SERVICE_NODE_FLAGS } from './node-flags.js';
export { sha1Uuid } from './sha1-uuid.js';
export { unaryHandler } from './grpc-unary.js';
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
