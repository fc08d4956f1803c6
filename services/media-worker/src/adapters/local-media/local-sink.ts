import { createSocket, type Socket } from 'node:dgram';

/**
 * The worker's own media endpoint: the answer of a one-sided (IVR) session points here. rtpengine sends it
 * whatever the caller's side would forward (nothing, or the caller's audio); it is read and dropped so the
 * kernel never answers with ICMP port-unreachable.
 */
export class LocalSink {
  readonly name = 'local-sink';
  private socket: Socket | undefined;

  constructor(private readonly host: string) {}

  async start(): Promise<{ address: string; port: number }> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.host, () => resolve());
    });
    return socket.address();
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
