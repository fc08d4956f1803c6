import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '@callctl/logging';
import type { DtmfEventSource, DtmfReport } from '../../app/ports.js';

/** RFC 4733 event numbers 0-15 as digits. */
const DIGITS = '0123456789*#ABCD';

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

export interface DtmfLogListenerOptions {
  host: string;
  port: number;
  log: Logger;
}

/**
 * Listens where rtpengine sends its DTMF log (one JSON datagram per digit, at the end of the digit). UDP
 * rather than rtpengine's TCP ng notifications: the npm client's TCP mode stalls on them.
 */
export class DtmfLogListener implements DtmfEventSource {
  private socket: Socket | undefined;

  constructor(private readonly options: DtmfLogListenerOptions) {}

  async start(onDigit: (report: DtmfReport) => void): Promise<{ address: string; port: number }> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (message) => {
      const report = parseDtmfLog(message.toString('utf8'));
      if (report) onDigit(report);
      else this.options.log.debug({ bytes: message.length }, 'ignored DTMF log datagram');
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
