import { createHash } from 'node:crypto';
import type { InputKind, ProviderName } from '../domain/synthesis-request.js';

/** What makes two syntheses the same speech. */
export interface SpeechKey {
  provider: ProviderName;
  voice: string;
  language: string;
  inputKind: InputKind;
  input: string;
  sampleRateHz: number;
}

/**
 * `tts-` + the sha256 (hex) of the key: the media id is a content address, so the same speech has the same
 * id across restarts and replicas. The key is hashed as a JSON array (unambiguous field boundaries) after
 * a version tag, so a change of what goes in can never collide with old ids.
 */
export function mediaIdOf(key: SpeechKey): string {
  const fields = [
    'tts.v1',
    key.provider,
    key.voice,
    key.language,
    key.inputKind,
    key.input,
    key.sampleRateHz,
  ];
  return `tts-${createHash('sha256').update(JSON.stringify(fields)).digest('hex')}`;
}

/** A well-formed tts media id (what FetchMedia accepts before it looks). */
export const MEDIA_ID_PATTERN = /^tts-[0-9a-f]{64}$/;
