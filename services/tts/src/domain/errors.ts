// The tts service's errors, in the platform's vocabulary (@callctl/errors): each maps to one gRPC status at
// the edge. Every message names the provider (and the voice or language) it is about.
import {
  IllegalStateError,
  NotFoundError,
  UnavailableError,
  UnimplementedError,
  ValidationError,
} from '@callctl/errors';

interface ProviderContext {
  provider: string;
}

/** Bad text, SSML, sample rate, provider name, voice or language: INVALID_ARGUMENT. */
export class SynthesisRequestError extends ValidationError {
  override readonly name = 'SynthesisRequestError';
  override readonly code = 'TTS_BAD_REQUEST';
}

/** The provider is down, throttling, or did not answer in time: UNAVAILABLE (the fallback may speak). */
export class ProviderUnavailableError extends UnavailableError<ProviderContext> {
  override readonly name = 'ProviderUnavailableError';
  override readonly code = 'TTS_PROVIDER_UNAVAILABLE';
}

/**
 * The provider is known but this deployment has no credentials for it: UNIMPLEMENTED (the vocabulary's
 * "a provider not configured"), so the caller learns the deployment does not offer it, not that it is
 * down; the message names the variables to set.
 */
export class ProviderNotConfiguredError extends UnimplementedError<ProviderContext> {
  override readonly name = 'ProviderNotConfiguredError';
  override readonly code = 'TTS_PROVIDER_NOT_CONFIGURED';
}

/**
 * The provider refused our credentials: FAILED_PRECONDITION rather than UNAVAILABLE, because retrying (or
 * failing over on every request) cannot help until an operator fixes the configuration, and UNAVAILABLE
 * would tell callers to retry.
 */
export class ProviderAuthError extends IllegalStateError<ProviderContext> {
  override readonly name = 'ProviderAuthError';
  override readonly code = 'TTS_PROVIDER_AUTH';
}

/** No media with that id (never made, or evicted): NOT_FOUND. */
export class MediaNotFoundError extends NotFoundError<{ mediaId: string }> {
  override readonly name = 'MediaNotFoundError';
  override readonly code = 'TTS_MEDIA_NOT_FOUND';
}
