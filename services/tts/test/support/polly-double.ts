// A local double of AWS Polly's SynthesizeSpeech (POST /v1/speech, REST-JSON) on 127.0.0.1, HTTP/1.1. It
// checks what Polly checks (a valid SigV4 signature scoped to the region and `polly`, the body's fields,
// the voice, the sample rate as a string) and answers as Polly does: raw s16le audio made by espeak-ng with
// Content-Type audio/pcm, or Polly's error shapes (x-amzn-ErrorType and a JSON message).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { espeakPcm } from './espeak-audio.js';
import { verifySigV4 } from './sigv4.js';

export const POLLY_TEST_CREDENTIALS = { accessKeyId: 'AKIDTTSTEST', secretAccessKey: 'tts-test-secret-key' };

/** The voices the double knows, with the espeak voice that speaks for each. */
const VOICES: Record<string, { language: string; espeak: string }> = {
  Joanna: { language: 'en-US', espeak: 'en-us+f3' },
  Matthew: { language: 'en-US', espeak: 'en-us' },
  Amy: { language: 'en-GB', espeak: 'en-gb+f3' },
  Lea: { language: 'fr-FR', espeak: 'fr-fr+f3' },
  Hans: { language: 'de-DE', espeak: 'de' },
};
const LANGUAGES = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'it-IT'];
const ENGINES = ['standard', 'neural', 'long-form', 'generative'];

/** What the double does with the next requests. */
export type PollyBehaviour = 'speak' | 'throttle' | 'fail' | 'hang';

export class PollyDouble {
  behaviour: PollyBehaviour = 'speak';
  /** Every request body that passed the signature check. */
  readonly bodies: Array<Record<string, unknown>> = [];
  /** How many requests arrived (signature checked or not). */
  requests = 0;

  private constructor(
    private readonly server: Server,
    readonly region: string,
  ) {}

  static async start(region = 'us-east-1'): Promise<PollyDouble> {
    const server = createServer();
    const double = new PollyDouble(server, region);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void double.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return double;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fail = (status: number, errorType: string, message: string) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.parrot.service/`,
        'x-amzn-requestid': 'double-request',
      });
      res.end(JSON.stringify({ message }));
    };
    const verdict = verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
      new Map([[POLLY_TEST_CREDENTIALS.accessKeyId, POLLY_TEST_CREDENTIALS.secretAccessKey]]),
      { region: this.region, service: 'polly' },
    );
    if (!verdict.ok)
      return fail(
        verdict.errorType === 'IncompleteSignatureException' ? 400 : 403,
        verdict.errorType,
        verdict.message,
      );
    if (req.method !== 'POST' || new URL(req.url ?? '', 'http://x').pathname !== '/v1/speech') {
      return fail(404, 'UnknownOperationException', `no operation ${req.method} ${req.url}`);
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString()) as Record<string, unknown>;
    } catch {
      return fail(400, 'SerializationException', 'body is not JSON');
    }
    this.bodies.push(input);
    if (this.behaviour === 'throttle') return fail(400, 'ThrottlingException', 'Rate exceeded');
    if (this.behaviour === 'fail') return fail(500, 'ServiceFailureException', 'Internal failure');
    if (this.behaviour === 'hang') return; // never answers

    const problem = this.check(input);
    if (problem) return fail(400, problem.type, problem.message);
    const voice = VOICES[input.VoiceId as string]!;
    const text = input.Text as string;
    const pcm = espeakPcm(
      input.TextType === 'ssml' ? { ssml: text } : { text },
      voice.espeak,
      Number(input.SampleRate),
    );
    res.writeHead(200, { 'content-type': 'audio/pcm', 'x-amzn-requestcharacters': String(text.length) });
    res.end(pcm);
  }

  /** Polly's own checks, with its error types and messages. */
  private check(input: Record<string, unknown>): { type: string; message: string } | undefined {
    const enumError = (field: string, value: unknown, allowed: readonly string[]) => ({
      type: 'ValidationException',
      message: `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    });
    if (typeof input.Text !== 'string')
      return {
        type: 'ValidationException',
        message:
          "1 validation error detected: Value null at 'text' failed to satisfy constraint: Member must not be null",
      };
    if (!['mp3', 'ogg_vorbis', 'pcm', 'json'].includes(input.OutputFormat as string))
      return enumError('outputFormat', input.OutputFormat, ['json', 'mp3', 'ogg_vorbis', 'pcm']);
    if (!((input.VoiceId as string) in VOICES))
      return enumError('voiceId', input.VoiceId, Object.keys(VOICES));
    if (input.TextType !== undefined && !['text', 'ssml'].includes(input.TextType as string))
      return enumError('textType', input.TextType, ['ssml', 'text']);
    if (input.Engine !== undefined && !ENGINES.includes(input.Engine as string))
      return enumError('engine', input.Engine, ENGINES);
    if (input.LanguageCode !== undefined && !LANGUAGES.includes(input.LanguageCode as string))
      return enumError('languageCode', input.LanguageCode, LANGUAGES);
    if (input.SampleRate !== undefined && typeof input.SampleRate !== 'string') {
      return { type: 'SerializationException', message: 'SampleRate must be a string' };
    }
    if (
      input.OutputFormat === 'pcm' &&
      !['8000', '16000', undefined].includes(input.SampleRate as string | undefined)
    ) {
      return {
        type: 'InvalidSampleRateException',
        message: `Invalid sample rate ${String(input.SampleRate)} for pcm`,
      };
    }
    if (input.SampleRate === undefined) input.SampleRate = '16000'; // pcm's default
    if ((input.Text as string).length > 3000)
      return { type: 'TextLengthExceededException', message: 'Maximum text length has been exceeded' };
    if (input.TextType === 'ssml' && !wellFormedSsml(input.Text as string)) {
      return { type: 'InvalidSsmlException', message: 'Unsupported Ssml: Invalid SSML request' };
    }
    return undefined;
  }
}

/** An XML document whose root is <speak>, its tags balanced (what Polly's SSML parser needs first). */
function wellFormedSsml(ssml: string): boolean {
  const open: string[] = [];
  const tokens = ssml
    .trim()
    .split(/(<[^<>]*>)/)
    .filter(Boolean);
  for (const [i, token] of tokens.entries()) {
    if (!token.startsWith('<')) {
      if (token.includes('<') || token.includes('>') || (open.length === 0 && token.trim())) return false;
      continue;
    }
    const tag = /^<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+\s*=\s*("[^"]*"|'[^']*'))*)\s*(\/?)>$/.exec(token);
    if (!tag) return false;
    const [, closing, name, , , selfClosing] = tag;
    if (i === 0 && (name !== 'speak' || closing)) return false;
    if (closing) {
      if (open.pop() !== name) return false;
    } else if (!selfClosing) open.push(name!);
    if (open.length === 0 && i !== tokens.length - 1) return false;
  }
  return open.length === 0 && tokens.length > 0;
}
