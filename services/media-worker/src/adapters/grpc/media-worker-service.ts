import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import type { ServiceBinding } from '@callctl/service';
import type { EngineStatus } from '../rtpengine/engine-status.js';

export interface MediaWorkerHandlers {
  engineStatus(): Promise<EngineStatus>;
}

/** Binds the MediaWorker gRPC service to the worker's handlers. */
export function mediaWorkerService(handlers: MediaWorkerHandlers): ServiceBinding {
  const implementation: media.MediaWorkerServer = {
    getEngineStatus: (_call, callback) => {
      handlers.engineStatus().then(
        (status) => callback(null, status),
        (error: Error) => callback(error),
      );
    },
  };
  return {
    name: 'callctl.media.v1.MediaWorker',
    definition: media.MediaWorkerService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
