import { headerKey } from './header-names.js';
import { SipRequest, type SipResponse } from './message.js';

/**
 * Writes a message as received or built: start line, headers in order (one line each, folding never
 * produced), Content-Length set from the body (kept in place when present, appended otherwise), body.
 */
export function serializeMessage(message: SipRequest | SipResponse): Buffer {
  const lines: string[] = [
    message instanceof SipRequest
      ? `${message.method} ${message.uri} ${message.version}`
      : `${message.version} ${message.status} ${message.reason}`,
  ];
  let wroteLength = false;
  for (const [name, value] of message.headers) {
    if (headerKey(name) === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      lines.push(`${name}: ${message.body.length}`);
    } else {
      lines.push(`${name}: ${value}`);
    }
  }
  if (!wroteLength) lines.push(`Content-Length: ${message.body.length}`);
  lines.push('', '');
  const head = Buffer.from(lines.join('\r\n'), 'utf8');
  return message.body.length === 0 ? head : Buffer.concat([head, message.body]);
}
