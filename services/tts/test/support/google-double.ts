// A local double of Google Cloud Text-to-Speech's REST API (POST /v1/text:synthesize) on 127.0.0.1. It
// checks what the API checks: a bearer token or an API key, one of input.text and input.ssml, the voice
// against its language, audioEncoding as the integer or the string enum; and answers as the API does:
// {audioContent: base64 of a WAV with its header (LINEAR16)} made by espeak-ng, or Google's error JSON.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { espeakWav } from './espeak-audio.js';

export const GOOGLE_TEST_CREDENTIALS = { apiKey: 'tts-test-api-key', accessToken: 'tts-test-access-token' };

const VOICES: Record<string, { language: string; espeak: string }> = {
  'en-US-Standard-C': { language: 'en-US', espeak: 'en-us+f3' },
  'en-US-Standard-B': { language: 'en-US', espeak: 'en-us' },
  'en-GB-Standard-A': { language: 'en-GB', espeak: 'en-gb+f3' },
  'de-DE-Standard-A': { language: 'de-DE', espeak: 'de' },
};
/** AudioEncoding: the double speaks LINEAR16 (1) only; the others exist, so they are not INVALID. */
const ENCODINGS: Record<string, number> = {
  LINEAR16: 1,
  MP3: 2,
  OGG_OPUS: 3,
  MULAW: 5,
  ALAW: 6,
  PCM: 7,
  M4A: 8,
};

export type GoogleBehaviour = 'speak' | 'exhausted' | 'hang';

interface SynthesizeBody {
  input?: { text?: string; ssml?: string };
  voice?: { languageCode?: string; name?: string };
  audioConfig?: { audioEncoding?: number | string; sampleRateHertz?: number };
}

export class GoogleDouble {
  behaviour: GoogleBehaviour = 'speak';
  readonly seen: Array<{ url: string; auth: string; body: SynthesizeBody }> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<GoogleDouble> {
    const server = createServer();
    const double = new GoogleDouble(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void double.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return double;
  }

  /** host:port, as GOOGLE_TTS_ENDPOINT takes it with http://. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fail = (code: number, status: string, message: string) => {
      res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ error: { code, message, status } }));
    };
    const url = new URL(req.url ?? '', 'http://double');
    if (req.method !== 'POST' || url.pathname !== '/v1/text:synthesize') {
      return fail(404, 'NOT_FOUND', `no method ${req.method} ${url.pathname}`);
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const apiKey = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    const auth =
      bearer !== undefined ? 'bearer' : apiKey !== undefined && apiKey !== null ? 'apiKey' : 'none';
    if (bearer !== GOOGLE_TEST_CREDENTIALS.accessToken && apiKey !== GOOGLE_TEST_CREDENTIALS.apiKey) {
      return fail(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    let body: SynthesizeBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString()) as SynthesizeBody;
    } catch {
      return fail(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    this.seen.push({ url: req.url ?? '', auth, body });
    if (this.behaviour === 'exhausted')
      return fail(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.');
    if (this.behaviour === 'hang') return;

    const { input, voice, audioConfig } = body;
    if (!input || (input.text === undefined) === (input.ssml === undefined)) {
      return fail(400, 'INVALID_ARGUMENT', 'Either `input.text` or `input.ssml` needs to be set.');
    }
    if (!voice?.languageCode) return fail(400, 'INVALID_ARGUMENT', 'Voice language code must be set.');
    const known = voice.name
      ? VOICES[voice.name]
      : Object.values(VOICES).find((v) => v.language === voice.languageCode);
    if (!known || known.language.toLowerCase() !== voice.languageCode.toLowerCase()) {
      return fail(400, 'INVALID_ARGUMENT', `Voice '${voice.name ?? ''}' does not exist. Is it misspelled?`);
    }
    const encoding = audioConfig?.audioEncoding;
    const encodingNumber = typeof encoding === 'string' ? ENCODINGS[encoding] : encoding;
    if (encodingNumber === undefined || !Object.values(ENCODINGS).includes(encodingNumber)) {
      return fail(
        400,
        'INVALID_ARGUMENT',
        `Invalid value at 'audio_config.audio_encoding' (${String(encoding)})`,
      );
    }
    if (encodingNumber !== ENCODINGS.LINEAR16)
      return fail(400, 'INVALID_ARGUMENT', 'the double speaks LINEAR16 only');
    const rate = audioConfig?.sampleRateHertz || 24000;
    const wav = espeakWav(input, known.espeak, rate);
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ audioContent: wav.toString('base64') }));
  }
}
