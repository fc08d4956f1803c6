// Final responses sip-edge sends to requests it receives, as promises, and the Warning that says why a
// request was refused.
import type { SipResponder } from './sip-stack.js';

/** Sends a response; resolves once the engine took it. `reason`: the standard phrase when empty. */
export function sendFinal(
  responder: SipResponder,
  status: number,
  reason?: string,
  headers?: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) =>
    responder.send(status, reason || undefined, headers ? { headers } : {}, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/** The Warning (RFC 3261 §20.43, code 399: miscellaneous) that tells the far end why it was refused. */
export function warningHeader(reason: string): Record<string, string> {
  return { Warning: `399 sip-edge "${reason.replace(/["\\\r\n]/g, ' ')}"` };
}
