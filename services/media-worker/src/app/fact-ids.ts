import { sha1Uuid } from '@callctl/service';
import type { MediaEvent } from './media-events.js';

/** Namespace of the worker's name-based fact ids (a random UUID, fixed once). */
const FACT_ID_NAMESPACE = '6f1d3c52-8a4e-4f0b-9d57-2b1e0c7a9e43';

/** A name-based UUID (RFC 9562 version 5, SHA-1): the same name gives the same id in every process. */
export function nameBasedUuid(namespace: string, name: string): string {
  return sha1Uuid(Buffer.from(namespace.replaceAll('-', ''), 'hex'), name);
}

/** The fact id of a session's loss: a session is lost once, whichever run of the worker notices. */
export function sessionLostFactId(sessionId: string): string {
  return nameBasedUuid(FACT_ID_NAMESPACE, `session-lost/${sessionId}`);
}

/** The fact id of a mixer route's loss: a route is restored and reported once. */
export function mixerLostFactId(sessionId: string, tag: string, routeId: string): string {
  return nameBasedUuid(FACT_ID_NAMESPACE, `mixer-lost/${sessionId}/${tag}/${routeId}`);
}

/**
 * The fact id of a media event. A playback's end is named by the playback, so the worker that reports it
 * after a restart uses the id the killed one would have used: JetStream drops the second publish and the
 * orchestrator records the fact once (its causation id). A digit happens once and gets a fresh id.
 */
export function mediaFactIdOf(event: MediaEvent, newId: () => string): string {
  if (event.fact?.$case === 'playbackFinished')
    return nameBasedUuid(
      FACT_ID_NAMESPACE,
      `playback-finished/${event.sessionId}/${event.fact.playbackFinished.playbackId}`,
    );
  return newId();
}
