import type { EventEmitter } from 'node:events';
import type { SipDialog } from '../../app/sip-stack.js';

/**
 * The dialog events sip-edge listens for. srf answers a re-INVITE, INFO or REFER by itself when its dialog has
 * no listener for it (a re-INVITE with the old SDP, a REFER with 200), and a BYE's `destroy` with no listener
 * is lost.
 */
const HELD_EVENTS = ['modify', 'info', 'refer', 'notify', 'destroy'] as const;

/**
 * Holds what a dialog receives before sip-edge's listeners are on it, and hands it to each listener when it
 * is added. srf calls back with a new dialog from the engine's reply to the 200 (or to the ACK), and the
 * engine may deliver the phone's next request in the same read: srf dispatches it in the same tick, before
 * the promise sip-edge awaits has resumed, so a re-INVITE sent right after the ACK would be answered with
 * the old SDP and a hold lost (seen under load: a sendonly re-INVITE answered sendrecv). Must be called
 * synchronously from srf's callback.
 */
export function holdingEarlyRequests<T extends SipDialog>(dialog: T): T {
  const emitter = dialog as unknown as EventEmitter;
  const held = new Map<string, { hold: (...args: unknown[]) => void; calls: unknown[][] }>();
  for (const event of HELD_EVENTS) {
    const calls: unknown[][] = [];
    const hold = (...args: unknown[]) => void calls.push(args);
    emitter.on(event, hold);
    held.set(event, { hold, calls });
  }
  const on = emitter.on.bind(emitter);
  emitter.on = (event: string | symbol, listener: (...args: unknown[]) => void) => {
    const early = typeof event === 'string' ? held.get(event) : undefined;
    if (!early) return on(event, listener);
    held.delete(event as string);
    emitter.removeListener(event, early.hold);
    on(event, listener);
    for (const args of early.calls) listener(...args);
    return emitter;
  };
  return dialog;
}
