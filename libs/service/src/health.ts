import {
  status as GrpcStatus,
  type ServerWritableStream,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { health } from '@callctl/proto';

type ServingStatus = health.HealthCheckResponse_ServingStatus;
const { HealthCheckResponse_ServingStatus: S } = health;

export const SERVING_STATUS = { SERVING: S.SERVING, NOT_SERVING: S.NOT_SERVING } as const;
export type ServingStatusName = keyof typeof SERVING_STATUS;

/**
 * The grpc.health.v1 service: "" is the whole server, and each gRPC service registers its full name.
 * A service flips to NOT_SERVING when a dependency it cannot work without is gone, and on shutdown.
 */
export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>([['', S.SERVING]]);
  private readonly watchers = new Set<{
    service: string;
    call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>;
  }>();

  set(service: string, status: ServingStatusName): void {
    const value = SERVING_STATUS[status];
    if (this.statuses.get(service) === value) return;
    this.statuses.set(service, value);
    for (const watcher of this.watchers) {
      if (watcher.service === service) watcher.call.write({ status: value });
    }
  }

  /** Marks every service NOT_SERVING, so load balancers stop routing before the server closes. */
  setAllNotServing(): void {
    for (const service of this.statuses.keys()) this.set(service, 'NOT_SERVING');
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  readonly implementation: health.HealthServer = {
    check: (
      call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>,
      callback: sendUnaryData<health.HealthCheckResponse>,
    ) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      callback(null, { status });
    },
    watch: (call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>) => {
      const watcher = { service: call.request.service, call };
      call.write({ status: this.statuses.get(call.request.service) ?? S.SERVICE_UNKNOWN });
      this.watchers.add(watcher);
      const forget = () => this.watchers.delete(watcher);
      call.on('cancelled', forget);
      call.on('close', forget);
    },
  };

  /** Ends every Watch stream; called when the server shuts down. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.call.end();
    this.watchers.clear();
  }
}
