// Cuts a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 18.3) and handles the RFC
// 5626 keep-alives: a CRLFCRLF "ping" between messages (the receiver answers with a CRLF "pong") and a
// lone CRLF "pong". After an error the stream is unrecoverable and the connection should be closed.
import { SipParseError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, findHeaderEnd } from './parse-message.js';

export interface StreamFramerOptions {
  /** Largest message (headers and body); beyond it push() throws SipParseError 513. @default 65536 */
  maxMessageBytes?: number;
  /** Called for each CRLFCRLF keep-alive ping; the engine answers with a single CRLF. */
  onPing?: () => void;
}

// One line `Content-Length: N` (or compact `l:`); the classes are disjoint, so matching is linear.
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t\r]*$/gim;

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Pings seen so far (for callers that prefer polling over onPing). */
  pings = 0;
  private readonly maxMessageBytes: number;
  private readonly onPing: (() => void) | undefined;
  private scanFrom = 0;

  constructor(options: StreamFramerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.onPing = options.onPing;
  }

  /** Bytes held waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /**
   * After push() threw: the bytes from the start of the message that could not be framed, so the caller
   * can still answer it (e.g. 400 naming the problem) before it closes the connection.
   */
  unframed(): Buffer {
    return this.buffer;
  }

  /** Feeds bytes; returns every message completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const buf = this.buffer;
      // Keep-alives only occur between messages.
      let i = 0;
      while (i + 1 < buf.length && buf[i] === 13 && buf[i + 1] === 10) {
        if (i + 3 < buf.length && buf[i + 2] === 13 && buf[i + 3] === 10) {
          this.pings++;
          this.onPing?.();
          i += 4;
        } else if (i + 2 >= buf.length || buf[i + 2] === 13) {
          break; // maybe the first half of a ping: wait for more
        } else {
          i += 2; // a pong (or a stray CRLF before a start line)
        }
      }
      if (i > 0) {
        this.buffer = buf.subarray(i);
        this.scanFrom = 0;
        continue;
      }
      if (buf.length === 0 || (buf.length < 4 && buf[0] === 13)) break;
      const end = findHeaderEnd(buf, Math.max(0, this.scanFrom - 3));
      if (end === undefined) {
        if (buf.length > this.maxMessageBytes) throw new SipParseError('Message Too Large', 513);
        this.scanFrom = buf.length;
        break;
      }
      const head = buf.toString('latin1', 0, end[0]);
      const matches = [...head.matchAll(CONTENT_LENGTH)];
      if (matches.length === 0) throw new SipParseError('Missing Content-Length on a stream transport');
      if (matches.length > 1) throw new SipParseError('Multiple Content-Length headers');
      const value = matches[0]![1] ?? '';
      if (!/^\d{1,10}$/.test(value)) throw new SipParseError('Bad Content-Length');
      const total = end[0] + end[1] + Number(value);
      if (total > this.maxMessageBytes) throw new SipParseError('Message Too Large', 513);
      if (buf.length < total) break;
      out.push(Buffer.from(buf.subarray(0, total)));
      this.buffer = buf.subarray(total);
      this.scanFrom = 0;
    }
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    // Keep no view into the caller's chunk between calls: the caller may reuse its buffer.
    else if (this.buffer.buffer === chunk.buffer) this.buffer = Buffer.from(this.buffer);
    return out;
  }
}
