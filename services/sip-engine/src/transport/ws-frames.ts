// RFC 7118 §5: each WebSocket message carries exactly one SIP message (text or binary frame), so framing is
// the WebSocket's; what is left is telling a SIP message from RFC 5626 keep-alives and from junk.

/** What one WebSocket message holds. */
export type WsFrameKind = 'ping' | 'pong' | 'sip' | 'not-sip';

/** Request-Line (RFC 3261 §25.1: token SP Request-URI SP SIP-Version) or Status-Line. */
const REQUEST_LINE = /^[A-Za-z0-9!%'*+\-.^_`|~]+ [^\s]+ SIP\/2\.0$/i;
const STATUS_LINE = /^SIP\/2\.0 [1-6]\d\d(?: .*)?$/i;
/** Longest start line looked at; a real one is far shorter, and junk is not scanned to its end. */
const MAX_START_LINE = 8192;

/**
 * Classifies one WebSocket message. RFC 5626 §4.4.1 keep-alives ride the same channel: a double CRLF is a
 * ping the server answers with a single CRLF (pong); a lone CRLF is a pong (clients answer ours) and is
 * dropped. Anything whose first line is neither a Request-Line nor a Status-Line is not SIP: RFC 7118 leaves
 * the server free to close such a connection, which is what the transport does.
 */
export function classifyFrame(data: Buffer): WsFrameKind {
  if (data.length === 4 && data.toString('latin1') === '\r\n\r\n') return 'ping';
  if (data.length === 2 && data.toString('latin1') === '\r\n') return 'pong';
  const head = data.subarray(0, MAX_START_LINE).toString('latin1');
  const end = head.indexOf('\r\n');
  if (end <= 0) return 'not-sip';
  const line = head.slice(0, end);
  return REQUEST_LINE.test(line) || STATUS_LINE.test(line) ? 'sip' : 'not-sip';
}

/** RFC 5626 §4.4.1: the answer to a double-CRLF ping. */
export const KEEPALIVE_PONG = Buffer.from('\r\n', 'latin1');
