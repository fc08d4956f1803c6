// What a Synthesize request asks for, checked: the provider by name, the text or SSML within its limit, the
// sample rate. Pure; the voice and language are checked by the provider that has them.
import { SynthesisRequestError } from './errors.js';
import { SAMPLE_RATES_HZ, type SampleRateHz } from './wav.js';

export const PROVIDER_NAMES = ['espeak', 'polly', 'google'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const INPUT_KINDS = { text: 'text', ssml: 'ssml' } as const;
export type InputKind = (typeof INPUT_KINDS)[keyof typeof INPUT_KINDS];

export interface SpeechInput {
  kind: InputKind;
  value: string;
}

export interface TextLimits {
  /** Longest plain text, in characters. */
  maxTextChars: number;
  /** Longest SSML document, in characters (tags included). */
  maxSsmlChars: number;
}

export interface SynthesisRequest {
  provider: ProviderName;
  /** As asked; '' = the provider's default. */
  voice: string;
  /** As asked; '' = the voice's own. */
  language: string;
  input: SpeechInput;
  sampleRateHz: SampleRateHz;
}

export interface RawSynthesisRequest {
  provider: string;
  voice: string;
  language: string;
  input?: { $case: 'text'; text: string } | { $case: 'ssml'; ssml: string } | undefined;
  sampleRateHz: number;
}

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

/** Checks the request's own fields; the voice and language are left to the provider. */
export function checkSynthesisRequest(
  raw: RawSynthesisRequest,
  defaults: { provider: ProviderName },
  limits: TextLimits,
): SynthesisRequest {
  const provider = raw.provider.trim() || defaults.provider;
  if (!isProviderName(provider)) {
    throw new SynthesisRequestError(
      `unknown provider "${raw.provider}" (expected one of ${PROVIDER_NAMES.join(', ')})`,
    );
  }
  const sampleRateHz = raw.sampleRateHz === 0 ? 8000 : raw.sampleRateHz;
  if (!(SAMPLE_RATES_HZ as readonly number[]).includes(sampleRateHz)) {
    throw new SynthesisRequestError(
      `sample_rate_hz ${raw.sampleRateHz} is not supported (expected ${SAMPLE_RATES_HZ.join(' or ')})`,
    );
  }
  return {
    provider,
    voice: raw.voice.trim(),
    language: raw.language.trim(),
    input: checkInput(raw.input, limits),
    sampleRateHz: sampleRateHz as SampleRateHz,
  };
}

function checkInput(input: RawSynthesisRequest['input'], limits: TextLimits): SpeechInput {
  if (!input) throw new SynthesisRequestError('text or ssml is required');
  if (input.$case === 'text') {
    if (!input.text.trim()) throw new SynthesisRequestError('text is empty');
    if (input.text.length > limits.maxTextChars) {
      throw new SynthesisRequestError(
        `text has ${input.text.length} characters; the limit is ${limits.maxTextChars}`,
      );
    }
    return { kind: 'text', value: input.text };
  }
  const ssml = input.ssml.trim();
  if (!ssml) throw new SynthesisRequestError('ssml is empty');
  if (ssml.length > limits.maxSsmlChars) {
    throw new SynthesisRequestError(
      `ssml has ${ssml.length} characters; the limit is ${limits.maxSsmlChars}`,
    );
  }
  if (!/^<speak[\s>]/.test(ssml) || !ssml.endsWith('</speak>')) {
    throw new SynthesisRequestError('ssml must be one <speak>...</speak> document');
  }
  return { kind: 'ssml', value: ssml };
}
