// espeak-ng, the local provider: `espeak-ng --stdout` streams a 22050 Hz WAV (placeholder sizes) into sox,
// which writes the stored samples at the requested rate. Voices are checked against espeak-ng's own list.
import { spawn } from 'node:child_process';
import { ProviderUnavailableError, SynthesisRequestError } from '../../domain/errors.js';
import type { ProviderRequest, ResolvedVoice, SpeechProvider } from '../../app/ports.js';
import { exitOf, wavToPcm } from '../audio/sox.js';
import { matchEspeakVoice, readEspeakVoices, type EspeakVoiceList } from './espeak-voices.js';

export interface EspeakOptions {
  /** @default 'en-us' */
  defaultVoice: string;
  timeoutMs: number;
  maxConcurrency: number;
  /** @default 'espeak-ng' */
  binary?: string;
}

export class EspeakProvider implements SpeechProvider {
  readonly name = 'espeak' as const;
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  private voices: Promise<EspeakVoiceList> | undefined;

  constructor(private readonly options: EspeakOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxConcurrency = options.maxConcurrency;
  }

  private voiceList(): Promise<EspeakVoiceList> {
    this.voices ??= readEspeakVoices(this.options.binary).catch((error: unknown) => {
      this.voices = undefined; // try again on the next request
      throw new ProviderUnavailableError(
        'espeak cannot list its voices',
        { provider: this.name },
        { cause: error },
      );
    });
    return this.voices;
  }

  async resolveVoice(voice: string, language: string): Promise<ResolvedVoice> {
    const list = await this.voiceList();
    const wanted = voice || (language ? '' : this.options.defaultVoice);
    const match = matchEspeakVoice(list, wanted, language);
    if (!match.ok) throw new SynthesisRequestError(match.problem, { provider: this.name, voice, language });
    // The voice fixes the language: speech for "en-us" is the same whatever language was asked with it.
    return { voice: match.voice, language: '' };
  }

  async synthesize(request: ProviderRequest, signal: AbortSignal): Promise<Uint8Array> {
    const args = ['--stdout', '-v', request.voice, ...(request.input.kind === 'ssml' ? ['-m'] : [])];
    const espeak = spawn(this.options.binary ?? 'espeak-ng', args, {
      signal,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const spoken = exitOf(espeak, 'espeak-ng');
    espeak.stdin.on('error', () => undefined);
    // Text on stdin, never as an argument: text starting with "-" would be read as an option.
    espeak.stdin.end(request.input.value);
    try {
      const [pcm] = await Promise.all([wavToPcm(espeak.stdout, request.sampleRateHz, signal), spoken]);
      return pcm;
    } catch (error) {
      throw new ProviderUnavailableError(
        `espeak failed: ${(error as Error).message}`,
        { provider: this.name },
        {
          cause: error,
        },
      );
    }
  }
}
