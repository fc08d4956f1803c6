import type { Logger } from '@callctl/logging';
import type { LostSession } from '../domain/media-fact.js';
import type { MediaRelay } from './ports.js';
import { presenceLookup } from './worker-state.js';

export interface SessionWatchDeps {
  relay: Pick<MediaRelay, 'listSessions' | 'querySession'>;
  /**
   * Reports the loss (FactReporting.reportLost, which takes the session's call at once) and then lets the
   * worker's modules forget the session (MediaSessions.vanished).
   */
  onLost(lost: LostSession): void;
  log: Logger;
}

/** Reason on the MediaSessionLost facts of sessions the check found gone. */
export const SESSION_GONE_REASON = 'rtpengine no longer has the session (media timeout or restart)';

/**
 * The sessions the worker knows (those its requests made or used: offers, answers, local answers, plays)
 * and a periodic check that they still exist in the relay. rtpengine drops a session by itself (no media
 * for its --timeout, its --final-timeout, a restart) and tells nobody: the check finds it and reports it
 * once (MediaSessionLost), so the orchestrator does not keep a leg without audio answered. A session the
 * worker deleted itself is forgotten first and never reported.
 */
export class SessionWatch {
  readonly name = 'session-watch';
  /** Session id -> the tags the requests named in it, and a generation bumped on every use. */
  private readonly known = new Map<string, { tags: Set<string>; generation: number }>();
  private generation = 0;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SessionWatchDeps) {}

  /** A request made or used the session (and named these tags in it). */
  track(sessionId: string, ...tags: string[]): void {
    const entry = this.known.get(sessionId) ?? { tags: new Set<string>(), generation: 0 };
    for (const tag of tags) if (tag) entry.tags.add(tag);
    entry.generation = ++this.generation;
    this.known.set(sessionId, entry);
  }

  /** The worker deleted the session (or found it gone): nothing to report about it any more. */
  forget(sessionId: string): void {
    this.known.delete(sessionId);
  }

  /**
   * One check: the relay's list of sessions, then a query of each known session missing from it (only a
   * NotFound proves it gone). Sessions used or forgotten while the check ran are left for the next one.
   * Returns the sessions reported lost.
   */
  async check(): Promise<LostSession[]> {
    const snapshot = new Map([...this.known].map(([id, entry]) => [id, entry.generation]));
    if (snapshot.size === 0) return [];
    let listed: Set<string> | undefined;
    try {
      listed = new Set(await this.deps.relay.listSessions());
    } catch (error) {
      // Too many sessions for one reply, or rtpengine busy: each session is asked about instead.
      this.deps.log.warn({ err: error }, 'rtpengine did not list its sessions; querying each');
    }
    const presenceOf = presenceLookup(this.deps.relay, this.deps.log);
    const candidates = [...snapshot.keys()].filter((id) => !listed?.has(id));
    const gone = await Promise.all(
      candidates.map(async (id) => ((await presenceOf(id)) === 'gone' ? id : undefined)),
    );
    const lost: LostSession[] = [];
    for (const sessionId of gone) {
      const entry = sessionId === undefined ? undefined : this.known.get(sessionId);
      if (!sessionId || !entry || entry.generation !== snapshot.get(sessionId)) continue;
      this.known.delete(sessionId);
      const session = { sessionId, tags: [...entry.tags], reason: SESSION_GONE_REASON };
      this.deps.log.warn({ sessionId, tags: session.tags }, 'media session lost');
      this.deps.onLost(session);
      lost.push(session);
    }
    return lost;
  }

  /** Runs check() every intervalMs (never two at once); returns what stops it. */
  every(intervalMs: number): () => Promise<void> {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // a slow check (many sessions, a busy rtpengine) is not piled up
      busy = true;
      this.running = this.check()
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'session check failed'))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.running;
    };
  }
}
