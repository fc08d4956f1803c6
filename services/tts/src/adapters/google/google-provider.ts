// Google Cloud Text-to-Speech through @google-cloud/text-to-speech over its REST transport (fallback:
// 'rest'), so one HTTP/1.1 endpoint serves it. LINEAR16 comes back as a WAV file (header included): its
// samples are kept when they are already what the service stores, else sox converts them.
import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import { JWT, OAuth2Client } from 'google-auth-library';
import {
  ProviderAuthError,
  ProviderNotConfiguredError,
  ProviderUnavailableError,
  SynthesisRequestError,
} from '../../domain/errors.js';
import { isStoredFormat, parseWav, WavFormatError } from '../../domain/wav.js';
import type { ProviderRequest, ResolvedVoice, SpeechProvider } from '../../app/ports.js';
import { wavToPcm } from '../audio/sox.js';

export interface GoogleOptions {
  /** host:port or a URL (http://host:port for a plain-text endpoint); unset: Google's own. */
  endpoint?: string | undefined;
  /** One of these three: an API key, an OAuth access token, a service account key file. */
  apiKey?: string | undefined;
  accessToken?: string | undefined;
  keyFilename?: string | undefined;
  defaultVoice: string;
  timeoutMs: number;
  maxConcurrency: number;
}

/** gRPC status codes gax reports (REST errors are mapped to them by the library). */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const FAILED_PRECONDITION = 9;

/** The client options for an endpoint given as host:port or URL. */
export function endpointOptions(endpoint: string): { apiEndpoint: string; port?: number; protocol?: string } {
  const url = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
  return {
    apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''),
    ...(url.port ? { port: Number(url.port) } : {}),
    protocol: url.protocol.replace(/:$/, ''),
  };
}

export class GoogleProvider implements SpeechProvider {
  readonly name = 'google' as const;
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  private readonly client: TextToSpeechClient | undefined;

  constructor(private readonly options: GoogleOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxConcurrency = options.maxConcurrency;
    const auth = this.authOptions();
    if (auth) {
      this.client = new TextToSpeechClient({
        fallback: 'rest',
        ...(options.endpoint ? endpointOptions(options.endpoint) : {}),
        ...auth,
      });
    }
  }

  private authOptions() {
    const { apiKey, accessToken, keyFilename } = this.options;
    // Node's own fetch: gaxios would otherwise load node-fetch with a dynamic import(), which a CommonJS
    // host without ESM loading (jest) cannot do; the request then never leaves. Every HTTP status reaches
    // gax, which turns Google's error JSON into a GoogleError with its gRPC code (as with its own fetch).
    const transporterOptions = { fetchImplementation: globalThis.fetch, validateStatus: () => true };
    // An API key client as GoogleAuth.fromAPIKey makes it, built here so it takes the transporter options.
    if (apiKey) return { authClient: new JWT({ apiKey, transporterOptions }) };
    if (accessToken) {
      const authClient = new OAuth2Client({ transporterOptions });
      authClient.setCredentials({ access_token: accessToken });
      return { authClient };
    }
    if (keyFilename) return { keyFilename, clientOptions: { transporterOptions } };
    return undefined;
  }

  private configured(): TextToSpeechClient {
    if (!this.client) {
      throw new ProviderNotConfiguredError(
        'google is not configured: set GOOGLE_API_KEY, GOOGLE_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS',
        { provider: this.name },
      );
    }
    return this.client;
  }

  async resolveVoice(voice: string, language: string): Promise<ResolvedVoice> {
    this.configured();
    const wanted = voice || this.options.defaultVoice;
    // Voice names start with their language: en-US-Standard-C. The API needs the language.
    const own = /^([a-z]{2,3}-[A-Za-z0-9]{2,4})-/i.exec(wanted)?.[1];
    if (!own && !language) {
      throw new SynthesisRequestError(`google voice "${wanted}" names no language; give the language`, {
        provider: this.name,
      });
    }
    return { voice: wanted, language: language || own! };
  }

  async synthesize(request: ProviderRequest, signal: AbortSignal): Promise<Uint8Array> {
    const client = this.configured();
    const call = client.synthesizeSpeech(
      {
        input: request.input.kind === 'ssml' ? { ssml: request.input.value } : { text: request.input.value },
        voice: { languageCode: request.language, name: request.voice },
        audioConfig: { audioEncoding: 'LINEAR16', sampleRateHertz: request.sampleRateHz },
      },
      // One attempt within the provider's timeout: the fallback provider is the retry.
      { timeout: this.timeoutMs, maxRetries: 0 },
    );
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new ProviderUnavailableError('google: aborted', { provider: this.name }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    let audio: Uint8Array;
    try {
      const [response] = await Promise.race([call, aborted]);
      if (!response.audioContent || response.audioContent.length === 0) throw new Error('no audioContent');
      audio =
        typeof response.audioContent === 'string'
          ? Buffer.from(response.audioContent, 'base64')
          : response.audioContent;
    } catch (error) {
      throw this.mapError(error, request);
    }
    return this.toStoredSamples(audio, request.sampleRateHz, signal);
  }

  private async toStoredSamples(audio: Uint8Array, sampleRateHz: number, signal: AbortSignal) {
    try {
      const wav = parseWav(audio);
      if (isStoredFormat(wav.format, sampleRateHz)) return wav.data;
      return await wavToPcm(audio, sampleRateHz, signal);
    } catch (error) {
      const why = error instanceof WavFormatError ? error.message : (error as Error).message;
      throw new ProviderUnavailableError(`google returned audio that is not a usable WAV: ${why}`, {
        provider: this.name,
      });
    }
  }

  private mapError(error: unknown, request: ProviderRequest): Error {
    if (error instanceof ProviderUnavailableError) return error;
    const code = (error as { code?: unknown }).code;
    const message = (error as { details?: string; message?: string }).details ?? (error as Error).message;
    const context = { provider: this.name, voice: request.voice, language: request.language };
    if (code === INVALID_ARGUMENT || code === NOT_FOUND || code === FAILED_PRECONDITION) {
      return new SynthesisRequestError(
        `google refused voice "${request.voice}" language "${request.language}": ${message}`,
        context,
        { cause: error },
      );
    }
    if (code === UNAUTHENTICATED || code === PERMISSION_DENIED) {
      return new ProviderAuthError(`google refused the credentials: ${message}`, context, { cause: error });
    }
    return new ProviderUnavailableError(`google is unavailable: ${message}`, context, { cause: error });
  }
}
