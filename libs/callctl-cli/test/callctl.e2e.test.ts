import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { callControl, callEvents, mediaLibrary } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { envelopeAt } from './support/events.js';
import { CALLCTL, runCallctl } from './support/callctl-process.js';

// A contract test of the CLI's side of callctl.v1.CallControl and callctl.v1.MediaLibrary: the built
// `callctl` executable, run as a process, against a real gRPC server in this test (both services on one
// address, as the orchestrator serves them) that records each request and answers from a script.

type Answer = (request: unknown) => unknown;
interface Received {
  method: string;
  request: unknown;
}

class ScriptedCallControl {
  readonly received: Received[] = [];
  /** Unary answers by method: a response, or a thrown {code, details} that becomes the gRPC status. */
  readonly answers = new Map<string, Answer>();
  /** WatchEvents: what to write for each stream opened, in order. */
  readonly watchScripts: Array<
    (stream: ServerWritableStream<callControl.WatchEventsRequest, unknown>) => void
  > = [];
  private server: Server | undefined;
  port = 0;

  /** An UploadMedia as received: the messages in order (a chunk by its size) and the bytes. */
  static uploadOf(messages: mediaLibrary.UploadMediaRequest[]) {
    const chunks = messages.flatMap((m) => (m.part?.$case === 'chunk' ? [m.part.chunk] : []));
    return {
      messages: messages.map((m) =>
        m.part?.$case === 'metadata' ? { name: m.part.metadata.name } : (m.part?.chunk.length ?? 0),
      ),
      bytes: Buffer.concat(chunks),
    };
  }

  private unary(method: string) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      this.received.push({ method, request: call.request });
      this.answer(method, call.request, callback);
    };
  }

  private answer(method: string, request: unknown, callback: sendUnaryData<unknown>) {
    const answer = this.answers.get(method);
    if (!answer) return callback({ code: status.UNIMPLEMENTED, details: `${method} not scripted` });
    let response: unknown;
    try {
      response = answer(request);
    } catch (error) {
      const { code, details } = error as { code: status; details: string };
      return callback({ code, details, metadata: new Metadata() });
    }
    // `undefined` scripts a server that never answers (deadline test).
    if (response !== undefined) callback(null, response);
  }

  async start(): Promise<void> {
    const library: Record<string, unknown> = {
      listMedia: this.unary('listMedia'),
      getMedia: this.unary('getMedia'),
      deleteMedia: this.unary('deleteMedia'),
      uploadMedia: (
        stream: ServerReadableStream<mediaLibrary.UploadMediaRequest, unknown>,
        callback: sendUnaryData<unknown>,
      ) => {
        const messages: mediaLibrary.UploadMediaRequest[] = [];
        stream.on('data', (message: mediaLibrary.UploadMediaRequest) => messages.push(message));
        stream.on('end', () => {
          const upload = ScriptedCallControl.uploadOf(messages);
          this.received.push({ method: 'uploadMedia', request: upload });
          this.answer('uploadMedia', upload, callback);
        });
      },
    };
    const implementation: Record<string, unknown> = {};
    for (const method of Object.keys(callControl.CallControlService)) {
      implementation[method] =
        method === 'watchEvents'
          ? (stream: ServerWritableStream<callControl.WatchEventsRequest, unknown>) => {
              this.received.push({ method, request: stream.request });
              const script = this.watchScripts.shift();
              if (script) script(stream);
              else stream.emit('error', { code: status.UNIMPLEMENTED, details: 'no watch scripted' });
            }
          : this.unary(method);
    }
    const server = new Server();
    server.addService(callControl.CallControlService, implementation as UntypedServiceImplementation);
    server.addService(mediaLibrary.MediaLibraryService, library as UntypedServiceImplementation);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
  }

  lastRequest(method: string): unknown {
    return this.received.filter((r) => r.method === method).at(-1)?.request;
  }

  stop(): void {
    this.server?.forceShutdown();
  }
}

const MEDIA = mediaLibrary.MediaInfo.fromPartial({
  mediaId: 'm1',
  name: 'welcome.wav',
  uploadedFormat: 'wav',
  uploadedBytes: 614_444,
  durationMs: 38_400,
  sampleRateHz: 8000,
  createdAt: new Date('2026-11-23T10:00:00.000Z'),
});
const MEDIA_LINE =
  'media m1 name="welcome.wav" format=wav bytes=614444 duration=38400ms rate=8000Hz created=2026-11-23T10:00:00.000Z';

const legAnswered = (position: number, legId: string): callControl.WatchEventsResponse => ({
  envelope: envelopeAt('LegAnswered', position),
  event: { $case: 'legAnswered', legAnswered: { callId: 'c1', legId, clientState: '' } },
});

describe('callctl against a CallControl gRPC server (contract of the CLI side)', () => {
  const server = new ScriptedCallControl();
  let at: string[];

  beforeAll(async () => {
    await server.start();
    at = ['--server', `127.0.0.1:${server.port}`];
  });
  afterAll(() => server.stop());

  it('dial sends CreateCall with the URI, From, timeouts and a UUID key, and prints the ids', async () => {
    server.answers.set('createCall', () => ({ callId: 'c1', legId: 'a1' }));
    const result = await runCallctl([
      'dial',
      'sip:bob@127.0.0.1:5080',
      '--from',
      'sip:alice@127.0.0.1',
      '--ring-timeout',
      '20s',
      '--max-duration',
      '1m',
      ...at,
    ]);
    expect(result).toEqual({ code: 0, stdout: 'call c1 leg a1\n', stderr: '' });
    expect(server.lastRequest('createCall')).toEqual({
      toUri: 'sip:bob@127.0.0.1:5080',
      fromUri: 'sip:alice@127.0.0.1',
      ringTimeoutMs: 20_000,
      maxDurationMs: 60_000,
      clientState: '',
      idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('takes the server address from CALLCTL_SERVER', async () => {
    server.answers.set('hangup', () => ({}));
    const result = await runCallctl(['hangup', 'c1', 'b1'], { CALLCTL_SERVER: `127.0.0.1:${server.port}` });
    expect(result).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    expect(server.lastRequest('hangup')).toEqual({ callId: 'c1', legId: 'b1' });
  });

  it.each([
    [
      ['answer', 'c1', 'a1'],
      'answerLeg',
      {},
      'ok',
      { callId: 'c1', legId: 'a1', clientState: '', maxDurationMs: 0, detectInbandDtmf: false },
    ],
    [
      ['reject', 'c1', 'a1', '--status', '486', '--reason', 'Busy Here'],
      'rejectLeg',
      {},
      'ok',
      { callId: 'c1', legId: 'a1', sipStatus: 486, reason: 'Busy Here' },
    ],
    [
      ['play', 'c1', 'a1', 'http://127.0.0.1:8080/hello.wav', '--repeat', '2', '--key', 'k1'],
      'playMedia',
      { playbackId: 'p1' },
      'playback p1',
      {
        callId: 'c1',
        legId: 'a1',
        media: { $case: 'url', url: 'http://127.0.0.1:8080/hello.wav' },
        repeat: 2,
        idempotencyKey: 'k1',
      },
    ],
    [['stop', 'c1', 'p1'], 'stopMedia', {}, 'ok', { callId: 'c1', playbackId: 'p1' }],
    [
      ['collect', 'c1', 'a1', '--max-digits', '4', '--terminators', '#', '--first-timeout', '8s'],
      'collectDigits',
      { collectId: 'k9' },
      'collect k9',
      {
        callId: 'c1',
        legId: 'a1',
        maxDigits: 4,
        terminators: '#',
        firstDigitTimeoutMs: 8000,
        interDigitTimeoutMs: 0,
        idempotencyKey: expect.any(String),
        prompts: [],
        bargeIn: false,
      },
    ],
    [
      ['bridge', 'c1', 'a1', 'b1'],
      'bridgeLegs',
      { bridgeId: 'br1' },
      'bridge br1',
      { callId: 'c1', legAId: 'a1', legBId: 'b1', idempotencyKey: expect.any(String) },
    ],
    [['hangup', 'c1'], 'hangup', {}, 'ok', { callId: 'c1', legId: '' }],
    [
      ['answer', 'c1', 'a1', '--max-duration', '90s', '--inband-dtmf'],
      'answerLeg',
      {},
      'ok',
      { callId: 'c1', legId: 'a1', clientState: '', maxDurationMs: 90_000, detectInbandDtmf: true },
    ],
    [
      ['say', 'c1', 'a1', 'Your', 'order', 'has', 'shipped.', '--voice', 'en-us', '--provider', 'espeak'],
      'say',
      { playbackId: 'p7' },
      'playback p7',
      {
        callId: 'c1',
        legId: 'a1',
        speech: {
          input: { $case: 'text', text: 'Your order has shipped.' },
          voice: 'en-us',
          provider: 'espeak',
          language: '',
        },
        repeat: 0,
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ],
    [
      ['say', 'c1', 'a1', '<speak>Hello <break time="300ms"/> again</speak>', '--ssml', '--repeat', '2'],
      'say',
      { playbackId: 'p8' },
      'playback p8',
      {
        callId: 'c1',
        legId: 'a1',
        speech: {
          input: { $case: 'ssml', ssml: '<speak>Hello <break time="300ms"/> again</speak>' },
          voice: '',
          provider: '',
          language: '',
        },
        repeat: 2,
        idempotencyKey: expect.any(String),
      },
    ],
    [
      ['dtmf', 'c1', 'b1', '12#', '--key', 'k5'],
      'sendDtmf',
      { method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733 },
      'sent by rfc4733',
      { callId: 'c1', legId: 'b1', digits: '12#', durationMs: 0, idempotencyKey: 'k5' },
    ],
    [
      ['dtmf', 'c1', 'b1', '9a', '--duration', '250ms'],
      'sendDtmf',
      { method: callEvents.DtmfMethod.DTMF_METHOD_INFO },
      'sent by info',
      { callId: 'c1', legId: 'b1', digits: '9A', durationMs: 250, idempotencyKey: expect.any(String) },
    ],
    [
      ['detect-dtmf', 'c1', 'a1', 'on'],
      'setDtmfDetection',
      {},
      'ok',
      { callId: 'c1', legId: 'a1', inband: true },
    ],
    [
      ['detect-dtmf', 'c1', 'a1', 'off'],
      'setDtmfDetection',
      {},
      'ok',
      { callId: 'c1', legId: 'a1', inband: false },
    ],
    [
      [
        'collect',
        'c1',
        'a1',
        '--prompt',
        'say:Enter your PIN, then hash.',
        '--prompt',
        'file:m3',
        '--prompt',
        'http://127.0.0.1:8080/beep.wav',
        '--voice',
        'en-us',
        '--barge-in',
        '--max-digits',
        '4',
        '--terminators',
        '#',
      ],
      'collectDigits',
      { collectId: 'k10' },
      'collect k10',
      {
        callId: 'c1',
        legId: 'a1',
        maxDigits: 4,
        terminators: '#',
        firstDigitTimeoutMs: 0,
        interDigitTimeoutMs: 0,
        idempotencyKey: expect.any(String),
        prompts: [
          {
            media: {
              $case: 'say',
              say: {
                input: { $case: 'text', text: 'Enter your PIN, then hash.' },
                voice: 'en-us',
                provider: '',
                language: '',
              },
            },
          },
          { media: { $case: 'fileId', fileId: 'm3' } },
          { media: { $case: 'url', url: 'http://127.0.0.1:8080/beep.wav' } },
        ],
        bargeIn: true,
      },
    ],
    [['media', 'get', 'm1'], 'getMedia', { media: MEDIA }, MEDIA_LINE, { mediaId: 'm1' }],
    [['media', 'rm', 'm1'], 'deleteMedia', {}, 'ok', { mediaId: 'm1' }],
    [
      ['media', 'list', '--page-size', '1'],
      'listMedia',
      { media: [MEDIA], nextPageToken: 't2' },
      `${MEDIA_LINE}\nmore: --page-token t2`,
      { pageSize: 1, pageToken: '' },
    ],
  ])('%j calls %s', async (args, method, response, printed, request) => {
    server.answers.set(method, () => response);
    const result = await runCallctl([...args, ...at]);
    expect(result).toEqual({ code: 0, stdout: `${printed}\n`, stderr: '' });
    expect(server.lastRequest(method)).toEqual(request);
  });

  it('get prints the call and its legs; --json prints the proto3 JSON', async () => {
    const call = callControl.Call.fromPartial({
      callId: 'c1',
      version: 4,
      createdAt: new Date('2026-11-23T10:00:00.000Z'),
      legs: [
        {
          legId: 'a1',
          direction: callEvents.LegDirection.LEG_DIRECTION_INBOUND,
          state: callControl.LegState.LEG_STATE_ANSWERED,
          fromUri: 'sip:alice@127.0.0.1',
          toUri: 'sip:ivr@127.0.0.1',
        },
      ],
    });
    server.answers.set('getCall', () => ({ call }));
    const text = await runCallctl(['get', 'c1', ...at]);
    expect(text.stdout.split('\n')).toEqual([
      'call c1 active version=4 created=2026-11-23T10:00:00.000Z',
      '  leg a1 inbound answered from=sip:alice@127.0.0.1 to=sip:ivr@127.0.0.1',
      '',
    ]);
    const json = await runCallctl(['get', 'c1', '--json', ...at]);
    expect(JSON.parse(json.stdout)).toMatchObject({ call: { callId: 'c1', legs: [{ legId: 'a1' }] } });
  });

  it('prints a server error as "error: <code>: <message>" on stderr and exits 1', async () => {
    server.answers.set('answerLeg', () => {
      throw { code: status.FAILED_PRECONDITION, details: 'leg a1 is answered, not ringing' };
    });
    expect(await runCallctl(['answer', 'c1', 'a1', ...at])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: FAILED_PRECONDITION: leg a1 is answered, not ringing\n',
    });
    server.answers.set('getCall', () => {
      throw { code: status.NOT_FOUND, details: 'no call nope' };
    });
    expect(await runCallctl(['get', 'nope', ...at])).toMatchObject({
      code: 1,
      stderr: 'error: NOT_FOUND: no call nope\n',
    });
  });

  it('gives up on a server that does not answer at its deadline with DEADLINE_EXCEEDED', async () => {
    server.answers.set('listCalls', () => undefined);
    const result = await runCallctl(['list', '--timeout', '300ms', ...at]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: DEADLINE_EXCEEDED: /);
  });

  it('reports a server nobody listens on as UNAVAILABLE', async () => {
    const closed = new ScriptedCallControl();
    await closed.start();
    const port = closed.port;
    closed.stop();
    const result = await runCallctl(['get', 'c1', '--server', `127.0.0.1:${port}`, '--timeout', '2s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: UNAVAILABLE: /);
  });

  it('refuses a bad command line with exit 2 and sends nothing', async () => {
    const before = server.received.length;
    const result = await runCallctl(['collect', 'c1', '--max-digits', '4', ...at]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: missing <leg>');
    expect(result.stderr).toContain('Usage: callctl collect <call> <leg> [options]');
    expect(server.received.length).toBe(before);
  });

  it('watch prints each event as it arrives, from the position asked, and ends on Ctrl-C', async () => {
    let live: ServerWritableStream<callControl.WatchEventsRequest, unknown> | undefined;
    server.watchScripts.push((stream) => {
      live = stream;
      stream.write(legAnswered(5, 'a1'));
    });
    const child = spawn(process.execPath, [CALLCTL, 'watch', '--call', 'c1', '--from-position', '5', ...at]);
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the first event printed', () => lines.length === 1, 10_000);
      expect(lines[0]).toBe('10:15:02.120 #5 c1 LegAnswered leg=a1');
      // The stream is still open: the next event is printed while it lasts.
      live!.write(legAnswered(6, 'b1'));
      await waitFor('the second event printed', () => lines.length === 2, 10_000);
      expect(lines[1]).toBe('10:15:02.120 #6 c1 LegAnswered leg=b1');
      expect(server.lastRequest('watchEvents')).toEqual({ callId: 'c1', fromPosition: 5 });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('watch resumes from the last position + 1 when the connection drops', async () => {
    server.watchScripts.push((stream) => {
      stream.write(legAnswered(10, 'a1'));
      stream.emit('error', { code: status.UNAVAILABLE, details: 'server restarting' });
    });
    server.watchScripts.push((stream) => {
      stream.write(legAnswered(11, 'b1'));
      stream.end();
    });
    const result = await runCallctl(['watch', '--json', ...at]);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).envelope.globalPosition),
    ).toEqual([10, 11]);
    expect(result.stderr).toContain('resuming from #11');
    const watches = server.received.filter((r) => r.method === 'watchEvents').slice(-2);
    expect(watches.map((w) => w.request)).toEqual([
      { callId: '', fromPosition: 0 },
      { callId: '', fromPosition: 11 },
    ]);
  });

  describe('IVR media and the media library', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'callctl-media-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('media upload streams the file as metadata then chunks of at most 256 KiB and prints the stored file', async () => {
      const file = Buffer.alloc(600 * 1024);
      file.write('RIFF', 0, 'latin1');
      file.write('WAVE', 8, 'latin1');
      for (let i = 12; i < file.length; i++) file[i] = i % 251;
      const path = join(dir, 'welcome.wav');
      writeFileSync(path, file);
      server.answers.set('uploadMedia', () => ({ media: MEDIA }));
      expect(await runCallctl(['media', 'upload', path, ...at])).toEqual({
        code: 0,
        stdout: `${MEDIA_LINE}\n`,
        stderr: '',
      });
      const upload = server.lastRequest('uploadMedia') as ReturnType<typeof ScriptedCallControl.uploadOf>;
      expect(upload.messages[0]).toEqual({ name: 'welcome.wav' });
      const sizes = upload.messages.slice(1) as number[];
      expect(sizes.every((size) => size > 0 && size <= 256 * 1024)).toBe(true);
      expect(upload.bytes.equals(file)).toBe(true);

      const json = await runCallctl(['media', 'upload', path, '--name', 'Main menu', '--json', ...at]);
      expect(JSON.parse(json.stdout)).toMatchObject({ media: { mediaId: 'm1', durationMs: 38_400 } });
      expect((server.lastRequest('uploadMedia') as typeof upload).messages[0]).toEqual({ name: 'Main menu' });
    });

    it("media upload prints the server's refusal, and refuses a file it cannot read before sending anything", async () => {
      const path = join(dir, 'notes.wav');
      writeFileSync(path, 'not audio at all\n');
      server.answers.set('uploadMedia', () => {
        throw {
          code: status.INVALID_ARGUMENT,
          details: 'the bytes of notes.wav are not audio (sniffed: text)',
        };
      });
      expect(await runCallctl(['media', 'upload', path, ...at])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: INVALID_ARGUMENT: the bytes of notes.wav are not audio (sniffed: text)\n',
      });

      const before = server.received.length;
      const missing = join(dir, 'nope.wav');
      expect(await runCallctl(['media', 'upload', missing, ...at])).toEqual({
        code: 2,
        stdout: '',
        stderr: `error: cannot read "${missing}": ENOENT: no such file or directory\n`,
      });
      expect(await runCallctl(['media', 'upload', dir, ...at])).toMatchObject({
        code: 2,
        stderr: `error: cannot read "${dir}": not a regular file\n`,
      });
      expect(server.received.length).toBe(before);
    });

    it('media get of a deleted file prints NOT_FOUND', async () => {
      server.answers.set('getMedia', (request) => {
        throw { code: status.NOT_FOUND, details: `no media ${(request as { mediaId: string }).mediaId}` };
      });
      expect(await runCallctl(['media', 'get', 'm9', ...at])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: NOT_FOUND: no media m9\n',
      });
    });

    it('say and dtmf print what the server refuses (an unknown voice, a leg not answered)', async () => {
      server.answers.set('say', () => {
        throw { code: status.INVALID_ARGUMENT, details: 'espeak has no voice "xx-yy"' };
      });
      expect(await runCallctl(['say', 'c1', 'a1', 'hi', '--voice', 'xx-yy', ...at])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: INVALID_ARGUMENT: espeak has no voice "xx-yy"\n',
      });
      server.answers.set('sendDtmf', () => {
        throw { code: status.FAILED_PRECONDITION, details: 'leg b1 is ringing, not answered' };
      });
      expect(await runCallctl(['dtmf', 'c1', 'b1', '1', ...at])).toMatchObject({
        code: 1,
        stderr: 'error: FAILED_PRECONDITION: leg b1 is ringing, not answered\n',
      });
    });

    it('refuses digits outside 0-9 * # A-D, and prompts it cannot read, locally: exit 2, nothing sent', async () => {
      const before = server.received.length;
      const dtmf = await runCallctl(['dtmf', 'c1', 'b1', '12X', ...at]);
      expect(dtmf.code).toBe(2);
      expect(dtmf.stderr).toContain('error: <digits>: keys are 0-9 * # A-D (got "12X")');
      expect(dtmf.stderr).toContain('Usage: callctl dtmf <call> <leg> <digits> [options]');
      const collect = await runCallctl(['collect', 'c1', 'a1', '--prompt', 'menu.wav', ...at]);
      expect(collect.code).toBe(2);
      expect(collect.stderr).toContain(
        'error: --prompt: expected an http(s) URL, file:<id> or say:<text> (got "menu.wav")',
      );
      const say = await runCallctl(['say', 'c1', 'a1', ...at]);
      expect(say).toMatchObject({ code: 2, stderr: expect.stringContaining('error: missing <text...>') });
      expect(server.received.length).toBe(before);
    });
  });
});
