import { createHash } from 'node:crypto';
import type { MediaEvent } from './media-events.js';

/** Namespace of the worker's name-based fact ids (a random UUID, fixed once). */
const FACT_ID_NAMESPACE = '6f1d3c52-8a4e-4f0b-9d57-2b1e0c7a9e43';

/** A name-based UUID (RFC 9562 version 5, SHA-1): the same name gives the same id in every process. */
export function nameBasedUuid(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
