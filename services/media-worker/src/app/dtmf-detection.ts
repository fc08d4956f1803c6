import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '@callctl/logging';
import type { MediaEvents } from './media-events.js';

/** RFC 4733 event numbers 0-15 as digits. */
const DIGITS = '0123456789*#ABCD';

export interface DtmfReport {
  sessionId: string;
  tag: string;
  digit: string;
  durationMs: number;
}

/** Parses one rtpengine --dtmf-log-dest datagram; undefined for anything that is not a digit report. */
export function parseDtmfLog(datagram: string): DtmfReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(datagram);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const digit = typeof record.event === 'number' ? DIGITS[record.event] : undefined;
  if (record.type !== 'DTMF' || typeof record.callid !== 'string' || digit === undefined) return undefined;
  return {
    sessionId: record.callid,
    tag: typeof record.source_tag === 'string' ? record.source_tag : '',
    digit,
    durationMs: typeof record.duration === 'number' ? record.duration : 0,
  };
}

export interface DtmfDetectionOptions {
  host: string;
  port: number;
  events: MediaEvents;
  log: Logger;
}

/**
 * Listens where rtpengine sends its DTMF log (one JSON datagram per digit, at the end of the digit) and
 * emits DtmfReceived. UDP rather than rtpengine's TCP ng notifications: the npm client's TCP mode stalls on
 * them.
 */
export class DtmfDetection {
  readonly name = 'dtmf-detection';
  private socket: Socket | undefined;

  constructor(private readonly options: DtmfDetectionOptions) {}

  async start(): Promise<{ address: string; port: number }> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (message) => {
      const report = parseDtmfLog(message.toString('utf8'));
      if (!report) {
        this.options.log.debug({ bytes: message.length }, 'ignored DTMF log datagram');
        return;
      }
      this.options.log.info(
        { callId: report.sessionId, tag: report.tag, digit: report.digit },
        'DTMF received',
      );
      this.options.events.emit(report.sessionId, {
        fact: {
          $case: 'dtmfReceived',
          dtmfReceived: { tag: report.tag, digit: report.digit, durationMs: report.durationMs },
        },
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return socket.address();
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
