import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { SilenceTarget } from '../../domain/dtmf-sending.js';
import type { SinkMedia } from '../../app/ports.js';

const FRAME_MS = 20;
const SAMPLES_PER_FRAME = 160;
/** Media a new flow sends before play DTMF (three frames). */
const LEAD_MS = 3 * FRAME_MS;

interface Flow {
  timer: NodeJS.Timeout;
  untilMs: number;
  seq: number;
  timestamp: number;
  ssrc: number;
}

/**
 * The worker's own media endpoint: the answer of a one-sided (IVR) session points here. rtpengine sends it
 * whatever the caller's side would forward (nothing, or the caller's audio); it is read and dropped so the
 * kernel never answers with ICMP port-unreachable.
 */
export class LocalSink implements SinkMedia {
  readonly name = 'local-sink';
  private socket: Socket | undefined;
  /** Silence being sent, by target address:port. */
  private readonly flows = new Map<string, Flow>();

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

  /**
   * Sends G.711 silence from the sink to `target` every 20 ms for `forMs` (a running flow to the same target
   * is extended): rtpengine injects DTMF into the media its sender sends, so the worker's own party must
   * send while its digits play.
   */
  async keepSending(target: SilenceTarget, forMs: number): Promise<void> {
    const key = `${target.address}:${target.port}`;
    const untilMs = Date.now() + forMs + LEAD_MS;
    const running = this.flows.get(key);
    if (running) {
      running.untilMs = Math.max(running.untilMs, untilMs);
      return;
    }
    const send = () => {
      const packet = Buffer.alloc(12 + SAMPLES_PER_FRAME, target.silence);
      packet[0] = 0x80;
      packet[1] = target.payloadType & 0x7f;
      packet.writeUInt16BE(flow.seq, 2);
      packet.writeUInt32BE(flow.timestamp >>> 0, 4);
      packet.writeUInt32BE(flow.ssrc, 8);
      flow.seq = (flow.seq + 1) & 0xffff;
      flow.timestamp = (flow.timestamp + SAMPLES_PER_FRAME) >>> 0;
      this.socket?.send(packet, target.port, target.address);
    };
    const flow: Flow = {
      untilMs,
      seq: randomInt(0, 0xffff),
      timestamp: randomInt(0, 0x7fffffff),
      ssrc: randomInt(1, 0x7fffffff),
      timer: setInterval(() => {
        if (Date.now() >= flow.untilMs || !this.socket) {
          clearInterval(flow.timer);
          this.flows.delete(key);
          return;
        }
        send();
      }, FRAME_MS),
    };
    this.flows.set(key, flow);
    // rtpengine refuses play DTMF until media came from the sender ("No SSRC context"): a new flow has sent
    // a few frames before the caller goes on.
    send();
    await new Promise((resolve) => setTimeout(resolve, LEAD_MS));
  }

  async stop(): Promise<void> {
    for (const flow of this.flows.values()) clearInterval(flow.timer);
    this.flows.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
