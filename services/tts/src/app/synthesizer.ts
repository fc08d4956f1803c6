// Synthesize: check the request, find the speech in the cache or make it (one synthesis per media id at a
// time, within the provider's concurrency limit and timeout), and fail over to the fallback provider when
// the requested one is unavailable.
import type { Logger } from '@callctl/logging';
import { ProviderUnavailableError } from '../domain/errors.js';
import {
  checkSynthesisRequest,
  type ProviderName,
  type RawSynthesisRequest,
  type SynthesisRequest,
  type TextLimits,
} from '../domain/synthesis-request.js';
import { encodeWav, pcmDurationMs } from '../domain/wav.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { mediaIdOf } from './media-id.js';
import type { CachedMedia, SpeechCache, SpeechProvider } from './ports.js';
import { SingleFlight } from './single-flight.js';

export interface SynthesizerOptions {
  providers: readonly SpeechProvider[];
  defaultProvider: ProviderName;
  /** Speaks when the requested provider is unavailable; never the requested one itself. */
  fallbackProvider?: ProviderName | undefined;
  limits: TextLimits;
  cache: SpeechCache;
  log: Logger;
}

export interface Synthesized {
  mediaId: string;
  durationMs: number;
  provider: ProviderName;
  voice: string;
  /** The provider asked for, when the fallback spoke. */
  fallbackFrom?: ProviderName;
  cached: boolean;
}

interface ProviderSlot {
  provider: SpeechProvider;
  limit: ConcurrencyLimit;
}

export class Synthesizer {
  private readonly slots = new Map<ProviderName, ProviderSlot>();
  private readonly flights = new SingleFlight<CachedMedia>();

  constructor(private readonly options: SynthesizerOptions) {
    for (const provider of options.providers) {
      this.slots.set(provider.name, { provider, limit: new ConcurrencyLimit(provider.maxConcurrency) });
    }
  }

  /** `signal` ends the caller's wait (its deadline); the shared synthesis goes on while others wait for it. */
  async synthesize(raw: RawSynthesisRequest, signal: AbortSignal): Promise<Synthesized> {
    const request = checkSynthesisRequest(
      raw,
      { provider: this.options.defaultProvider },
      this.options.limits,
    );
    try {
      return await this.speak(request.provider, request, request.voice, request.language, signal);
    } catch (error) {
      const fallback = this.options.fallbackProvider;
      if (!(error instanceof ProviderUnavailableError) || !fallback || fallback === request.provider)
        throw error;
      if (signal.aborted) throw error;
      this.options.log.warn(
        { provider: request.provider, fallback, err: error },
        'provider unavailable; the fallback speaks',
      );
      const voice = await this.fallbackVoice(fallback, request.language);
      const spoken = await this.speak(fallback, request, voice.voice, voice.language, signal);
      return { ...spoken, fallbackFrom: request.provider };
    }
  }

  /** The fallback's voice for the request's language, or its default voice when it has none for it. */
  private async fallbackVoice(name: ProviderName, language: string) {
    const { provider } = this.slot(name);
    try {
      return await provider.resolveVoice('', language);
    } catch {
      return provider.resolveVoice('', '');
    }
  }

  private slot(name: ProviderName): ProviderSlot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no provider module for ${name}`);
    return slot;
  }

  private async speak(
    name: ProviderName,
    request: SynthesisRequest,
    voice: string,
    language: string,
    signal: AbortSignal,
  ): Promise<Synthesized> {
    const { provider, limit } = this.slot(name);
    const resolved = await provider.resolveVoice(voice, language);
    const mediaId = mediaIdOf({
      provider: name,
      voice: resolved.voice,
      language: resolved.language,
      inputKind: request.input.kind,
      input: request.input.value,
      sampleRateHz: request.sampleRateHz,
    });
    const spoken = { mediaId, provider: name, voice: resolved.voice };
    const hit = this.options.cache.lookup(mediaId);
    if (hit) return { ...spoken, durationMs: hit.durationMs, cached: true };
    try {
      const made = await this.flights.run(mediaId, signal, (flightSignal) =>
        limit.run(flightSignal, () =>
          this.make(
            provider,
            mediaId,
            { ...resolved, input: request.input, sampleRateHz: request.sampleRateHz },
            flightSignal,
          ),
        ),
      );
      return { ...spoken, durationMs: made.durationMs, cached: false };
    } catch (error) {
      if (signal.aborted && !(error instanceof ProviderUnavailableError)) {
        throw new ProviderUnavailableError(`${name} did not speak within the request's deadline`, {
          provider: name,
        });
      }
      throw error;
    }
  }

  private async make(
    provider: SpeechProvider,
    mediaId: string,
    request: Parameters<SpeechProvider['synthesize']>[0],
    signal: AbortSignal,
  ): Promise<CachedMedia> {
    const timeout = AbortSignal.timeout(provider.timeoutMs);
    const started = performance.now();
    let pcm: Uint8Array;
    try {
      pcm = await provider.synthesize(request, AbortSignal.any([signal, timeout]));
    } catch (error) {
      if (timeout.aborted && !signal.aborted) {
        throw new ProviderUnavailableError(
          `${provider.name} did not answer within ${provider.timeoutMs} ms`,
          {
            provider: provider.name,
          },
        );
      }
      throw error;
    }
    if (pcm.length < 2) {
      throw new ProviderUnavailableError(`${provider.name} returned no audio`, { provider: provider.name });
    }
    const durationMs = pcmDurationMs(pcm.length, request.sampleRateHz);
    const stored = await this.options.cache.store(mediaId, encodeWav(pcm, request.sampleRateHz), durationMs);
    this.options.log.info(
      {
        provider: provider.name,
        voice: request.voice,
        mediaId,
        durationMs,
        chars: request.input.value.length,
        synthesisMs: Math.round(performance.now() - started),
      },
      'speech synthesized',
    );
    return stored;
  }
}
