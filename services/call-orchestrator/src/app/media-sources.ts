// What a playback or prompt plays, resolved before its command is decided: speech is synthesized by the
// tts service and a media-library id is looked up (NOT_FOUND when unknown or deleted), so the domain
// records what actually plays (`tts:<media id>`, `library:<media id>`) and where it came from (source)
// without doing I/O. Requests are checked (requests.ts) before anything here runs.
import { createHash } from 'node:crypto';
import type { CallCommand, ResolvedMedia } from '../domain/call.commands.js';
import type { MediaLibraryPort, SpeechRequest, TtsPort } from './ports.js';

/** What a request names: a URL, a file (of the media files directory or the library) or speech. */
export type MediaChoice =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'file'; readonly name: string }
  | { readonly kind: 'library'; readonly mediaId: string }
  | { readonly kind: 'speech'; readonly speech: SpeechRequest };

export type Resolved = { readonly mediaUri: string; readonly media: ResolvedMedia };

export interface MediaSourcePorts {
  readonly tts: TtsPort;
  readonly mediaLibrary: MediaLibraryPort;
}

export const FILE_PREFIX = 'file:';
export const LIBRARY_PREFIX = 'library:';
export const TTS_PREFIX = 'tts:';

const plain = (source: string): ResolvedMedia => ({ source, durationMs: 0, ttsFallbackFrom: '' });

export async function resolveMedia(ports: MediaSourcePorts, choice: MediaChoice): Promise<Resolved> {
  switch (choice.kind) {
    case 'url':
      return { mediaUri: choice.url, media: plain('url') };
    case 'file':
      return { mediaUri: `${FILE_PREFIX}${choice.name}`, media: plain('file') };
    case 'library': {
      const found = await ports.mediaLibrary.getMedia(choice.mediaId);
      return {
        mediaUri: `${LIBRARY_PREFIX}${found.mediaId}`,
        media: { source: 'library', durationMs: found.durationMs, ttsFallbackFrom: '' },
      };
    }
    case 'speech': {
      const spoken = await ports.tts.synthesize(choice.speech);
      return {
        mediaUri: `${TTS_PREFIX}${spoken.mediaId}`,
        media: {
          source: `tts:${spoken.provider}/${spoken.voice}`,
          durationMs: spoken.durationMs,
          ttsFallbackFrom: spoken.fallbackFrom,
        },
      };
    }
  }
}

/**
 * What a choice names without asking anyone: enough for the fingerprint of a replay (speech as `tts:`, whose
 * id only the tts service knows and which the fingerprint ignores; domain media.state.ts requestedMedia).
 */
export function unresolvedMedia(choice: MediaChoice): Resolved {
  switch (choice.kind) {
    case 'url':
      return { mediaUri: choice.url, media: plain('url') };
    case 'file':
      return { mediaUri: `${FILE_PREFIX}${choice.name}`, media: plain('file') };
    case 'library':
      return { mediaUri: `${LIBRARY_PREFIX}${choice.mediaId}`, media: plain('library') };
    case 'speech':
      return { mediaUri: TTS_PREFIX, media: plain('tts') };
  }
}

/** JSON with object keys sorted: the same request digests alike whatever order its fields were built in. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
          .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value);

/**
 * A digest of a media request as the client sent it (its choices as parsed, never as resolved, and the
 * fields that go with them, e.g. a Say's repeat), recorded with the playback or collection: the media URI the
 * log holds names what the tts service answered, which depends on the provider that spoke, so only this tells
 * a retry (same text, voice, provider, language) from another request reusing its idempotency key.
 */
export function requestFingerprint(
  choices: readonly MediaChoice[],
  fields: Record<string, unknown> = {},
): string {
  return createHash('sha256')
    .update(canonical({ choices, ...fields }))
    .digest('base64url');
}

/** A request whose media is resolved before its command is decided. */
export interface MediaCommandRequest {
  readonly choices: readonly MediaChoice[];
  command(resolved: readonly Resolved[]): CallCommand;
}

/**
 * The command of a media request. A retry whose idempotency key the call recorded already is answered from
 * the log (the domain replays it, or refuses a different request under the key): nothing is synthesized or
 * looked up again. Otherwise each choice is resolved, in order.
 */
export async function mediaCommand(
  ports: MediaSourcePorts,
  request: MediaCommandRequest,
  recorded: (idempotencyKey: string) => Promise<boolean>,
): Promise<CallCommand> {
  const replay = request.command(request.choices.map(unresolvedMedia));
  const key = replay.metadata.idempotencyKey;
  if (key && (await recorded(key))) return replay;
  const resolved: Resolved[] = [];
  for (const choice of request.choices) resolved.push(await resolveMedia(ports, choice));
  return request.command(resolved);
}
