import type { Logger } from '@callctl/logging';
import { startGrpcServer, type GrpcListenOptions, type RunningGrpcServer } from '@callctl/service';
import { MixerEngine } from './app/mixer-engine.js';
import { mixerService } from './adapters/grpc/mixer-service.js';
import { portRange } from './adapters/rtp/port-range.js';

export interface MixerOptions {
  log: Logger;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  /** Binds the participants' sockets and is their SDP's address. */
  rtpHost: string;
  /** Participants' UDP ports; 0..0: the OS picks. */
  rtpPortMin: number;
  rtpPortMax: number;
}

export interface RunningMixer {
  grpc: RunningGrpcServer;
  engine: MixerEngine;
  /** Stops serving (health NOT_SERVING first, so watching media-workers restore their routes), then rooms. */
  close(): Promise<void>;
}

/** Wires the service by hand (STYLE 13); main.ts, the tests and the benchmark start it through here. */
export async function startMixer(options: MixerOptions): Promise<RunningMixer> {
  const { log } = options;
  const engine = new MixerEngine({
    rtpHost: options.rtpHost,
    openPort: portRange({ host: options.rtpHost, min: options.rtpPortMin, max: options.rtpPortMax }),
    log: log.child({ module: 'engine' }),
  });
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [mixerService({ engine, log })],
  }).catch(async (error: unknown) => {
    await engine.close();
    throw error;
  });
  return {
    grpc,
    engine,
    close: async () => {
      await grpc.close();
      await engine.close();
    },
  };
}
