// What the synthesizer needs from a speech provider. Each provider (espeak, polly, google) is one adapter.
import type { ProviderName, SpeechInput } from '../domain/synthesis-request.js';
import type { SampleRateHz } from '../domain/wav.js';

/** A voice and language the provider has, in the spelling that keys the cache. */
export interface ResolvedVoice {
  voice: string;
  /** '' when the provider takes the voice's own language. */
  language: string;
}

export interface SpeechProvider {
  readonly name: ProviderName;
  /** Per-call timeout and how many syntheses may run at once (the rest wait their turn). */
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  /**
   * The voice to use ('' = the configured default) and language ('' = the voice's own), checked where the
   * provider can check them locally; throws SynthesisRequestError naming the unknown one, or
   * ProviderNotConfiguredError.
   */
  resolveVoice(voice: string, language: string): Promise<ResolvedVoice>;
  /**
   * s16le mono PCM samples at the rate. Throws SynthesisRequestError (refused input, unknown voice),
   * ProviderUnavailableError (down, throttled, aborted by `signal`) or ProviderAuthError.
   */
  synthesize(request: ProviderRequest, signal: AbortSignal): Promise<Uint8Array>;
}

export interface ProviderRequest extends ResolvedVoice {
  input: SpeechInput;
  sampleRateHz: SampleRateHz;
}

/** A stored WAV. */
export interface CachedMedia {
  mediaId: string;
  path: string;
  bytes: number;
  durationMs: number;
}

/** Where synthesized WAVs are kept, by media id. */
export interface SpeechCache {
  /** The entry, marked as just used; undefined when absent. */
  lookup(mediaId: string): CachedMedia | undefined;
  /** Stores the WAV under the id (crash-safe), evicting the least recently used beyond the cap. */
  store(mediaId: string, wav: Uint8Array, durationMs: number): Promise<CachedMedia>;
}
