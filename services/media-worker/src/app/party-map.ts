/**
 * Values per party of an rtpengine session, kept by session id and then tag: ending a session (the worker's
 * Delete, once per call) finds its parties without going through every other call's.
 */
export class PartyMap<T> {
  private readonly bySession = new Map<string, Map<string, T>>();

  get(sessionId: string, tag: string): T | undefined {
    return this.bySession.get(sessionId)?.get(tag);
  }

  /** The session's parties (tag -> value); empty when it has none. */
  partiesOf(sessionId: string): ReadonlyMap<string, T> {
    return this.bySession.get(sessionId) ?? EMPTY;
  }

  set(sessionId: string, tag: string, value: T): void {
    let parties = this.bySession.get(sessionId);
    if (!parties) this.bySession.set(sessionId, (parties = new Map()));
    parties.set(tag, value);
  }

  /** Removes one party; false when it was not there. A session left without parties is dropped. */
  delete(sessionId: string, tag: string): boolean {
    const parties = this.bySession.get(sessionId);
    if (!parties?.delete(tag)) return false;
    if (parties.size === 0) this.bySession.delete(sessionId);
    return true;
  }

  *values(): IterableIterator<T> {
    for (const parties of this.bySession.values()) yield* parties.values();
  }

  clear(): void {
    this.bySession.clear();
  }
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();
