// AWS Polly through @aws-sdk/client-polly: OutputFormat pcm (raw s16le mono at 8000 or 16000 Hz), which is
// exactly the stored samples. The SDK's default handler speaks HTTP/2 (the client has an event-stream
// operation); NodeHttpHandler keeps SynthesizeSpeech on HTTP/1.1, which Polly and VPC endpoints serve.
import {
  PollyClient,
  SynthesizeSpeechCommand,
  type SynthesizeSpeechCommandInput,
} from '@aws-sdk/client-polly';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  ProviderAuthError,
  ProviderNotConfiguredError,
  ProviderUnavailableError,
  SynthesisRequestError,
} from '../../domain/errors.js';
import type { ProviderRequest, ResolvedVoice, SpeechProvider } from '../../app/ports.js';

export interface PollyOptions {
  region: string;
  endpoint?: string | undefined;
  /** Both or neither; without them the provider answers UNIMPLEMENTED naming the variables. */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  engine: 'standard' | 'neural' | 'long-form' | 'generative';
  defaultVoice: string;
  timeoutMs: number;
  maxConcurrency: number;
}

/** Polly's error names (x-amzn-ErrorType) by what they mean for a caller. */
const REFUSED_INPUT = new Set([
  'ValidationException',
  'InvalidSsmlException',
  'TextLengthExceededException',
  'LanguageNotSupportedException',
  'InvalidSampleRateException',
  'LexiconNotFoundException',
  'MarksNotSupportedForFormatException',
  'SsmlMarksNotSupportedForTextTypeException',
  'EngineNotSupportedException',
]);
const AUTH_REFUSED = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);

export class PollyProvider implements SpeechProvider {
  readonly name = 'polly' as const;
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  private readonly client: PollyClient | undefined;

  constructor(private readonly options: PollyOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxConcurrency = options.maxConcurrency;
    if (options.accessKeyId && options.secretAccessKey) {
      this.client = new PollyClient({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        requestHandler: new NodeHttpHandler({
          connectionTimeout: options.timeoutMs,
          requestTimeout: options.timeoutMs,
        }),
        // One attempt: a caller is waiting on the phone; the fallback provider is the retry.
        maxAttempts: 1,
      });
    }
  }

  private configured(): PollyClient {
    if (!this.client) {
      throw new ProviderNotConfiguredError(
        'polly is not configured: set POLLY_ACCESS_KEY_ID and POLLY_SECRET_ACCESS_KEY',
        { provider: this.name },
      );
    }
    return this.client;
  }

  async resolveVoice(voice: string, language: string): Promise<ResolvedVoice> {
    this.configured();
    const wanted = voice || this.options.defaultVoice;
    // Polly voice ids are single words (Joanna, Matthew); Polly itself says which exist.
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(wanted)) {
      throw new SynthesisRequestError(`polly has no voice "${wanted}"`, { provider: this.name });
    }
    if (language && !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/i.test(language)) {
      throw new SynthesisRequestError(`polly: language "${language}" is not a language tag`, {
        provider: this.name,
      });
    }
    return { voice: wanted, language };
  }

  async synthesize(request: ProviderRequest, signal: AbortSignal): Promise<Uint8Array> {
    const input: SynthesizeSpeechCommandInput = {
      Engine: this.options.engine,
      OutputFormat: 'pcm',
      SampleRate: String(request.sampleRateHz),
      Text: request.input.value,
      TextType: request.input.kind,
      VoiceId: request.voice as SynthesizeSpeechCommandInput['VoiceId'],
      ...(request.language
        ? { LanguageCode: request.language as SynthesizeSpeechCommandInput['LanguageCode'] }
        : {}),
    };
    try {
      const output = await this.configured().send(new SynthesizeSpeechCommand(input), {
        abortSignal: signal,
      });
      if (!output.AudioStream) throw new Error('no AudioStream in the response');
      if (output.ContentType && output.ContentType !== 'audio/pcm') {
        throw new Error(`answered ${output.ContentType}, not audio/pcm`);
      }
      return await output.AudioStream.transformToByteArray();
    } catch (error) {
      throw this.mapError(error, request);
    }
  }

  private mapError(error: unknown, request: ProviderRequest): Error {
    const name = (error as { name?: string }).name ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const context = { provider: this.name, voice: request.voice, language: request.language };
    if (REFUSED_INPUT.has(name)) {
      const what = /voiceId/i.test(message)
        ? `polly has no voice "${request.voice}"`
        : /languageCode/i.test(message)
          ? `polly has no language "${request.language}"`
          : `polly refused the request (${name})`;
      return new SynthesisRequestError(`${what}: ${message}`, context, { cause: error });
    }
    if (AUTH_REFUSED.has(name) || status === 401 || status === 403) {
      return new ProviderAuthError(`polly refused the credentials (${name}): ${message}`, context, {
        cause: error,
      });
    }
    return new ProviderUnavailableError(
      `polly is unavailable (${name || 'no answer'}): ${message}`,
      context,
      {
        cause: error,
      },
    );
  }
}
