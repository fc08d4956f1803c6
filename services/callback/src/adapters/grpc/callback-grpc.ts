// STUB (contract): replaced by the gRPC adapter. Serves callctl.v1.Callback (and health) over `Callbacks`.
import type { Logger } from '@callctl/logging';
import type { EventStore } from '@callctl/eventstore';
import type { Callbacks } from '../../app/ports.js';
import type { IifCounters } from '../../iif/iif-server.js';
import type { ResponseCounters } from '../../iif/response-sender.js';

export interface CallbackGrpcOptions {
  host: string;
  port: number;
  healthPort?: number;
  callbacks: Callbacks;
  /** The callback log, for WatchCallbackEvents (stored then live, as CallControl.WatchEvents). */
  store: EventStore;
  /** The IIF's counters, for GetCallbackStats (absent when the IIF is off). */
  iifCounters?: () => IifCounters & ResponseCounters;
  log: Logger;
}

export interface CallbackGrpc {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startCallbackGrpc(options: CallbackGrpcOptions): Promise<CallbackGrpc> {
  void options;
  return Promise.reject(new Error('Callback gRPC not implemented yet'));
}
