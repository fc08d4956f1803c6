import type { Logger } from '@callctl/logging';
import type { SessionCallRecord, StateTable } from './ports.js';
import { keep, recoverRecords, type PresenceOf } from './worker-state.js';

/**
 * Which call each media session belongs to, as the requests named it (their `call_id`): media facts seen on
 * a session are published under its call. A session id is never taken apart to find its call.
 */
export class SessionCalls {
  private readonly calls = new Map<string, string>();

  constructor(private readonly deps: { state: StateTable<SessionCallRecord>; log: Logger }) {}

  /**
   * The call a session's facts belong to. The one fallback for older callers, which send no call_id: they
   * name their call's own session, whose id is the call id.
   */
  callOf(sessionId: string): string {
    return this.calls.get(sessionId) ?? sessionId;
  }

  /**
   * A request named the session's call. Recorded only when it changes what callOf answers, so a call's own
   * session costs nothing; an empty call id changes nothing. The record only serves a restart, so the media
   * operation does not wait for its ack (a NATS outage would otherwise hold every 200 OK for the write's
   * deadline); it is sent now, ahead of the operation's reply.
   */
  remember(sessionId: string, callId: string): void {
    if (!callId || this.callOf(sessionId) === callId) return;
    this.calls.set(sessionId, callId);
    void keep(this.deps.log, 'session call', this.deps.state.put(sessionId, { sessionId, callId }));
  }

  /** The session was deleted. */
  forget(sessionId: string): void {
    if (!this.calls.delete(sessionId)) return;
    void keep(this.deps.log, 'session call end', this.deps.state.delete(sessionId));
  }

  /** Takes back what a previous run recorded for sessions the relay still has. */
  async recover(presenceOf: PresenceOf): Promise<{ kept: number; dropped: number }> {
    return recoverRecords(this.deps.state, presenceOf, this.deps.log, (record) => {
      this.calls.set(record.sessionId, record.callId);
    });
  }
}
