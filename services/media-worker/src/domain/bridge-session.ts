// Sessions of bridges made by sip-edge's BridgeLegs (media_worker.proto, Answer): two legs of a call that
// were each answered on their own move into a new rtpengine session named `<call session>/bridge/<id>`.
// The orchestrator keeps addressing them by the call's session id, and hears their facts under it.

const BRIDGE_MARK = '/bridge/';

/** The call's session a session belongs to: itself, or the one a bridge session was made for. */
export function callSessionOf(sessionId: string): string {
  const at = sessionId.indexOf(BRIDGE_MARK);
  return at > 0 ? sessionId.slice(0, at) : sessionId;
}

/** Where the parties of a call's session that moved into bridge sessions are now. */
export class BridgeRoutes {
  /** `call session \0 tag` → bridge session. */
  private readonly moved = new Map<string, string>();

  /** After an answer in a bridge session: both parties are reached there from now on. */
  record(sessionId: string, tags: readonly string[]): void {
    const callSession = callSessionOf(sessionId);
    if (callSession === sessionId) return;
    for (const tag of tags) this.moved.set(key(callSession, tag), sessionId);
  }

  /** The session a party of `sessionId` is in now. */
  resolve(sessionId: string, tag: string): string {
    return this.moved.get(key(sessionId, tag)) ?? sessionId;
  }

  /** The session was deleted: its parties are nowhere any more. */
  forget(sessionId: string): void {
    for (const [party, bridge] of this.moved) if (bridge === sessionId) this.moved.delete(party);
  }
}

const key = (sessionId: string, tag: string) => `${sessionId}\u0000${tag}`;
