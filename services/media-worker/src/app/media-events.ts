import type { media } from '@callctl/proto';

export type MediaEvent = media.MediaEvent;
export type MediaEventListener = (event: MediaEvent) => void;

/**
 * In-process fan-out of media facts to whoever watches (the gRPC WatchMediaEvents streams). A listener
 * that throws is the listener's problem: it must not stop the others from hearing the fact.
 */
export class MediaEvents {
  private readonly listeners = new Set<MediaEventListener>();

  constructor(private readonly now: () => number) {}

  emit(sessionId: string, fact: Omit<MediaEvent, 'sessionId' | 'occurredAtMs'>): void {
    const event: MediaEvent = { sessionId, occurredAtMs: this.now(), ...fact };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // see class comment
      }
    }
  }

  /** Returns the function that removes the listener. */
  listen(listener: MediaEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
