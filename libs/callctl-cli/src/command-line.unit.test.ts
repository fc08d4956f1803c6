import { callEvents } from '@callctl/proto';
import { parseCommandLine, type CommandLine } from './command-line.js';
import type { CommandLineContext } from './commands.js';
import { context, parse, run, usageError } from '../test/support/parse.js';
import { parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

describe('callctl command line: commands to requests', () => {
  it('dial makes a CreateCall with durations in ms and a fresh idempotency key', () => {
    expect(
      run('dial sip:bob@127.0.0.1:5080 --from sip:alice@example.com --ring-timeout 20s --max-duration 2m')
        .invocation,
    ).toEqual({
      kind: 'unary',
      method: 'createCall',
      request: {
        toUri: 'sip:bob@127.0.0.1:5080',
        fromUri: 'sip:alice@example.com',
        ringTimeoutMs: 20_000,
        maxDurationMs: 120_000,
        clientState: '',
        idempotencyKey: 'new-id',
      },
    });
  });

  it('dial leaves the server defaults (0) and a default From when options are absent', () => {
    expect(run('dial sip:bob@127.0.0.1').invocation).toMatchObject({
      request: { fromUri: 'sip:callctl@127.0.0.1', ringTimeoutMs: 0, maxDurationMs: 0 },
    });
  });

  it('dial --call without --bridge-with makes a Dial of a leg the platform answers alone', () => {
    expect(run('dial sip:carol@127.0.0.1 --call c1 --key k8').invocation).toMatchObject({
      method: 'dial',
      request: { callId: 'c1', bridgeWithLegId: '', toUri: 'sip:carol@127.0.0.1', idempotencyKey: 'k8' },
    });
  });

  it('dial --call --bridge-with makes a Dial from the existing call, with the given key', () => {
    expect(run('dial sip:carol@127.0.0.1 --call c1 --bridge-with a1 --key k7').invocation).toEqual({
      kind: 'unary',
      method: 'dial',
      request: {
        callId: 'c1',
        bridgeWithLegId: 'a1',
        toUri: 'sip:carol@127.0.0.1',
        fromUri: 'sip:callctl@127.0.0.1',
        ringTimeoutMs: 0,
        idempotencyKey: 'k7',
      },
    });
  });

  it('play sends an http(s) source as url and anything else as an uploaded file id', () => {
    expect(run('play c1 a1 https://prompts.test/hello.wav --repeat 3').invocation).toMatchObject({
      method: 'playMedia',
      request: {
        callId: 'c1',
        legId: 'a1',
        media: { $case: 'url', url: 'https://prompts.test/hello.wav' },
        repeat: 3,
      },
    });
    expect(run('play c1 a1 welcome').invocation).toMatchObject({
      request: { media: { $case: 'fileId', fileId: 'welcome' }, repeat: 0 },
    });
  });

  it('collect takes max digits, terminators and both timeouts', () => {
    expect(
      run('collect c1 a1 --max-digits 4 --terminators #* --first-timeout 8s --inter-timeout 1500').invocation,
    ).toEqual({
      kind: 'unary',
      method: 'collectDigits',
      request: {
        callId: 'c1',
        legId: 'a1',
        maxDigits: 4,
        terminators: '#*',
        firstDigitTimeoutMs: 8000,
        interDigitTimeoutMs: 1500,
        idempotencyKey: 'new-id',
        prompts: [],
        bargeIn: false,
      },
    });
  });

  it('collect plays --prompt URLs, file:<id> and say:<text> in order, with the voice options and --barge-in', () => {
    const line = [
      'collect',
      'c1',
      'a1',
      '--prompt',
      'https://prompts.test/menu.wav',
      '--prompt',
      'file:m42',
      '--prompt',
      'say:Press 1 for sales: or 2',
      '--voice',
      'en-us',
      '--provider',
      'espeak',
      '--barge-in',
    ];
    const parsed = parseCommandLine(line, context);
    expect(parsed).toMatchObject({
      invocation: {
        method: 'collectDigits',
        request: {
          prompts: [
            { media: { $case: 'url', url: 'https://prompts.test/menu.wav' } },
            { media: { $case: 'fileId', fileId: 'm42' } },
            {
              media: {
                $case: 'say',
                say: {
                  input: { $case: 'text', text: 'Press 1 for sales: or 2' },
                  voice: 'en-us',
                  provider: 'espeak',
                  language: '',
                },
              },
            },
          ],
          bargeIn: true,
        },
      },
    });
  });

  it('say joins the words after <leg> into the text, with the voice options, --ssml and --repeat', () => {
    expect(run('say c1 a1 Hello there, caller --voice en-us --language en-US --repeat 2').invocation).toEqual(
      {
        kind: 'unary',
        method: 'say',
        request: {
          callId: 'c1',
          legId: 'a1',
          speech: {
            input: { $case: 'text', text: 'Hello there, caller' },
            voice: 'en-us',
            provider: '',
            language: 'en-US',
          },
          repeat: 2,
          idempotencyKey: 'new-id',
        },
      },
    );
    expect(
      parseCommandLine(['say', 'c1', 'a1', '--ssml', '<speak>Hi</speak>', '--provider', 'polly'], context),
    ).toMatchObject({
      invocation: {
        request: {
          speech: { input: { $case: 'ssml', ssml: '<speak>Hi</speak>' }, provider: 'polly' },
          repeat: 0,
        },
      },
    });
  });

  it('dtmf sends the digits (a-d as A-D) with the tone length; detect-dtmf turns in-band detection on or off', () => {
    expect(run('dtmf c1 b1 12*#ad --duration 80ms --key k3').invocation).toEqual({
      kind: 'unary',
      method: 'sendDtmf',
      request: { callId: 'c1', legId: 'b1', digits: '12*#AD', durationMs: 80, idempotencyKey: 'k3' },
    });
    expect(run('dtmf c1 b1 5').invocation).toMatchObject({ request: { digits: '5', durationMs: 0 } });
    expect(run('detect-dtmf c1 a1 on').invocation).toEqual({
      kind: 'unary',
      method: 'setDtmfDetection',
      request: { callId: 'c1', legId: 'a1', inband: true },
    });
    expect(run('detect-dtmf c1 a1 off').invocation).toMatchObject({ request: { inband: false } });
  });

  it('monitor dials a supervisor into a call (listen by default); monitor-mode and monitor-stop follow it', () => {
    expect(run('monitor c1 sip:sup@127.0.0.1 --key k9').invocation).toEqual({
      kind: 'unary',
      method: 'monitorCall',
      request: {
        callId: 'c1',
        supervisorUri: 'sip:sup@127.0.0.1',
        mode: callEvents.MonitorMode.MONITOR_MODE_LISTEN,
        whisperLegId: '',
        fromUri: '',
        ringTimeoutMs: 0,
        idempotencyKey: 'k9',
      },
    });
    expect(
      run('monitor c1 1001 --mode whisper --whisper-leg b1 --ring-timeout 20s').invocation,
    ).toMatchObject({
      request: {
        supervisorUri: '1001',
        mode: callEvents.MonitorMode.MONITOR_MODE_WHISPER,
        whisperLegId: 'b1',
        ringTimeoutMs: 20_000,
        idempotencyKey: 'new-id',
      },
    });
    expect(run('monitor-mode c1 m1 barge').invocation).toEqual({
      kind: 'unary',
      method: 'setMonitorMode',
      request: {
        callId: 'c1',
        monitorId: 'm1',
        mode: callEvents.MonitorMode.MONITOR_MODE_BARGE,
        whisperLegId: '',
      },
    });
    expect(run('monitor-mode c1 m1 whisper --whisper-leg a1').invocation).toMatchObject({
      request: { mode: callEvents.MonitorMode.MONITOR_MODE_WHISPER, whisperLegId: 'a1' },
    });
    expect(run('monitor-stop c1 m1').invocation).toEqual({
      kind: 'unary',
      method: 'stopMonitor',
      request: { callId: 'c1', monitorId: 'm1' },
    });
  });

  it('add-participant dials a third party into a call (full by default); remove-participant takes it out', () => {
    expect(run('add-participant c1 sip:third@127.0.0.1 --key k9').invocation).toEqual({
      kind: 'unary',
      method: 'addParticipant',
      request: {
        callId: 'c1',
        target: 'sip:third@127.0.0.1',
        mode: callEvents.ParticipantMode.PARTICIPANT_MODE_FULL,
        fromUri: '',
        ringTimeoutMs: 0,
        idempotencyKey: 'k9',
      },
    });
    expect(run('add-participant c1 1001 --mode listen --ring-timeout 20s').invocation).toMatchObject({
      request: {
        target: '1001',
        mode: callEvents.ParticipantMode.PARTICIPANT_MODE_LISTEN,
        ringTimeoutMs: 20_000,
        idempotencyKey: 'new-id',
      },
    });
    expect(run('remove-participant c1 p1').invocation).toEqual({
      kind: 'unary',
      method: 'removeParticipant',
      request: { callId: 'c1', participantId: 'p1' },
    });
  });

  it.each([
    ['add-participant c1 sip:third@h --mode barge', /full or listen/],
    ['monitor c1 sip:sup@h --mode shout', /listen, whisper or barge/],
    ['monitor c1 sip:sup@h --mode whisper', /--whisper-leg/],
    ['monitor c1 sip:sup@h --whisper-leg a1', /--whisper-leg/],
    ['monitor-mode c1 m1 whisper', /--whisper-leg/],
    ['hold c1 a1 --to-peer', /--to-peer needs --music/],
    ['hold c1 a1 --music ftp://x/y.wav', /--music: expected an http\(s\) URL/],
  ])('refuses %s', (line, message) => expect(usageError(line).message).toMatch(message));

  it('answer takes --max-duration and --inband-dtmf', () => {
    expect(run('answer c1 a1 --max-duration 2m --inband-dtmf').invocation).toMatchObject({
      method: 'answerLeg',
      request: { maxDurationMs: 120_000, detectInbandDtmf: true },
    });
  });

  it.each([
    [
      'media upload prompts/welcome.mp3',
      { kind: 'upload', path: 'prompts/welcome.mp3', name: 'welcome.mp3' },
    ],
    ['media upload /tmp/x.wav --name greeting', { kind: 'upload', path: '/tmp/x.wav', name: 'greeting' }],
    ['media list', { kind: 'media', method: 'listMedia', request: { pageSize: 0, pageToken: '' } }],
    [
      'media list --page-size 20 --page-token t2',
      { kind: 'media', method: 'listMedia', request: { pageSize: 20, pageToken: 't2' } },
    ],
    ['media get m1', { kind: 'media', method: 'getMedia', request: { mediaId: 'm1' } }],
    ['media rm m1', { kind: 'media', method: 'deleteMedia', request: { mediaId: 'm1' } }],
  ])('%s', (line, invocation) => {
    expect(run(line)).toMatchObject({ command: line.split(' ').slice(0, 2).join(' '), invocation });
  });

  describe('recording', () => {
    it.each([
      [
        'record start c1',
        'startRecording',
        { callId: 'c1', channels: 2, maxDurationMs: 0, beep: false, pauseMode: 1, idempotencyKey: 'new-id' },
      ],
      [
        'record start c1 --mono --max-duration 90s --beep --pause-mode cut --key k1',
        'startRecording',
        { callId: 'c1', channels: 1, maxDurationMs: 90_000, beep: true, pauseMode: 2, idempotencyKey: 'k1' },
      ],
      ['record pause c1 rec-1', 'pauseRecording', { callId: 'c1', recordingId: 'rec-1' }],
      ['record resume c1 rec-1', 'resumeRecording', { callId: 'c1', recordingId: 'rec-1' }],
      ['record stop c1 rec-1', 'stopRecording', { callId: 'c1', recordingId: 'rec-1' }],
      [
        'record leg c1 a1',
        'recordLeg',
        {
          callId: 'c1',
          legId: 'a1',
          beep: false,
          maxLengthMs: 0,
          silenceTimeoutMs: 0,
          terminator: '',
          idempotencyKey: 'new-id',
        },
      ],
      [
        'record leg c1 a1 --beep --max-length 1h --silence-timeout 3s --terminator # --key v1',
        'recordLeg',
        {
          callId: 'c1',
          legId: 'a1',
          beep: true,
          maxLengthMs: 3_600_000,
          silenceTimeoutMs: 3000,
          terminator: '#',
          idempotencyKey: 'v1',
        },
      ],
    ])('%s calls %s', (line, method, request) => {
      expect(run(line)).toMatchObject({ command: line.split(' ').slice(0, 2).join(' ') });
      expect(run(line).invocation).toEqual({ kind: 'unary', method, request });
    });

    it.each([
      [
        'recordings list',
        { kind: 'recordings', method: 'listRecordings', request: { callId: '', pageSize: 0, pageToken: '' } },
      ],
      [
        'recordings list --call c1 --page-size 20 --page-token t2',
        {
          kind: 'recordings',
          method: 'listRecordings',
          request: { callId: 'c1', pageSize: 20, pageToken: 't2' },
        },
      ],
      [
        'recordings get rec-1',
        { kind: 'recordings', method: 'getRecording', request: { recordingId: 'rec-1' } },
      ],
      [
        'recordings rm rec-1',
        { kind: 'recordings', method: 'deleteRecording', request: { recordingId: 'rec-1' } },
      ],
      [
        'recordings download rec-1 -o /tmp/r.wav',
        { kind: 'download', request: { recordingId: 'rec-1', part: 0 }, out: '/tmp/r.wav' },
      ],
      [
        'recordings download rec-1 --part 2 --out r2.wav',
        { kind: 'download', request: { recordingId: 'rec-1', part: 2 }, out: 'r2.wav' },
      ],
    ])('%s', (line, invocation) => {
      expect(run(line).invocation).toEqual(invocation);
    });

    it.each([
      ['record start c1 --pause-mode later', /--pause-mode: expected silence or cut/],
      ['record start c1 --max-duration soon', /--max-duration/],
      ['record leg c1 a1 --terminator ##', /--terminator: expected one key/],
      ['record leg c1 a1 --terminator A', /--terminator/],
      ['record leg c1 a1 --max-length 2h', /--max-length: at most 1h/],
      ['record pause c1', /missing <recording-id>/],
      ['record leg c1', /missing <leg>/],
      ['recordings download rec-1', /missing --out/],
      ['recordings download rec-1 -o x.wav --part 0', /--part: expected 1-10000/],
      ['record foo c1', /unknown record command "foo"/],
    ])('refuses %s', (line, message) => {
      expect(usageError(line).message).toMatch(message);
    });

    it('lists the record and recordings commands in their help, with -o for the output file', () => {
      const help = (parse('--help') as { text: string }).text;
      for (const name of [
        'record start <call>',
        'record leg <call> <leg>',
        'recordings download <recording-id>',
      ])
        expect(help).toContain(name);
      expect((parse('record --help') as { text: string }).text).toContain(
        'record pause <call> <recording-id>',
      );
      expect(parse('recordings download --help')).toMatchObject({
        text: expect.stringContaining('-o, --out <file>'),
      });
    });
  });

  it.each([
    [
      'answer c1 a1',
      'answerLeg',
      { callId: 'c1', legId: 'a1', clientState: '', maxDurationMs: 0, detectInbandDtmf: false },
    ],
    [
      'reject c1 a1 --status 486 --reason Busy',
      'rejectLeg',
      { callId: 'c1', legId: 'a1', sipStatus: 486, reason: 'Busy' },
    ],
    ['reject c1 a1', 'rejectLeg', { callId: 'c1', legId: 'a1', sipStatus: 0, reason: '' }],
    ['stop c1 p1', 'stopMedia', { callId: 'c1', playbackId: 'p1' }],
    ['bridge c1 a1 b1', 'bridgeLegs', { callId: 'c1', legAId: 'a1', legBId: 'b1', idempotencyKey: 'new-id' }],
    ['hangup c1', 'hangup', { callId: 'c1', legId: '' }],
    ['hangup c1 b1', 'hangup', { callId: 'c1', legId: 'b1' }],
    ['echo c1 a1', 'startEcho', { callId: 'c1', legId: 'a1' }],
    ['echo c1 a1 --stop', 'stopEcho', { callId: 'c1', legId: 'a1' }],
    ['hold c1 a1', 'holdLeg', { callId: 'c1', legId: 'a1', musicToPeer: false, idempotencyKey: 'new-id' }],
    [
      'hold c1 a1 --music file:moh.wav --to-peer --key k1',
      'holdLeg',
      {
        callId: 'c1',
        legId: 'a1',
        music: { media: { $case: 'fileId', fileId: 'moh.wav' } },
        musicToPeer: true,
        idempotencyKey: 'k1',
      },
    ],
    ['resume c1 a1', 'resumeLeg', { callId: 'c1', legId: 'a1' }],
    ['get c1', 'getCall', { callId: 'c1' }],
    ['list --page-size 50 --page-token t2', 'listCalls', { pageSize: 50, pageToken: 't2' }],
  ])('%s calls %s', (line, method, request) => {
    expect(run(line).invocation).toEqual({ kind: 'unary', method, request });
  });

  it('watch streams from position 0 by default, or from --from-position, optionally for one call', () => {
    expect(run('watch').invocation).toEqual({ kind: 'watch', request: { callId: '', fromPosition: 0 } });
    expect(run('watch --call c1 --from-position 42').invocation).toEqual({
      kind: 'watch',
      request: { callId: 'c1', fromPosition: 42 },
    });
  });
});

describe('callctl command line: server, deadline, output', () => {
  it('takes --server first, then CALLCTL_SERVER, then the orchestrator port of the local stack', () => {
    const at = (line: string, env: CommandLineContext['env']) =>
      (parse(line, env) as Extract<CommandLine, { kind: 'run' }>).server;
    expect(at('get c1 --server 10.0.0.1:7000', { CALLCTL_SERVER: 'h:1' })).toBe('10.0.0.1:7000');
    expect(at('get c1', { CALLCTL_SERVER: 'h:1', CALLCTL_ORCHESTRATOR_GRPC_PORT: '6000' })).toBe('h:1');
    expect(at('get c1', { CALLCTL_ORCHESTRATOR_GRPC_PORT: '6000' })).toBe('127.0.0.1:6000');
    expect(at('get c1', {})).toBe('127.0.0.1:50051');
  });

  it('has a 10 s deadline unless --timeout says otherwise, and --json switches the output', () => {
    expect(run('get c1')).toMatchObject({ timeoutMs: 10_000, json: false });
    expect(run('get c1 --timeout 750ms --json')).toMatchObject({ timeoutMs: 750, json: true });
  });

  it('answers --help, -h and help <command> with help text instead of running anything', () => {
    expect(parse('--help')).toMatchObject({ kind: 'help', text: expect.stringContaining('Commands:') });
    expect(parse('')).toMatchObject({ kind: 'help' });
    expect(parse('collect -h')).toMatchObject({
      kind: 'help',
      text: expect.stringContaining('--inter-timeout'),
    });
    expect(parse('help play')).toMatchObject({ kind: 'help', text: expect.stringContaining('--repeat') });
  });

  it('lists every command in the help, and the media commands under `media --help`', () => {
    const help = (parse('--help') as { text: string }).text;
    for (const line of [
      'say <call> <leg> <text...>',
      'dtmf <call> <leg> <digits>',
      'detect-dtmf',
      'monitor <call> <supervisor-uri>',
      'monitor-mode <call> <monitor> <listen|whisper|barge>',
      'monitor-stop <call> <monitor>',
      'transfer <call> <leg> <target>',
      'decide-transfer <call> <transfer> <accept|decline>',
      'consult <call> <held-leg> <target>',
      'complete-transfer <call> <transfer>',
      'cancel-consultation <call> <transfer>',
      'hold <call> <leg>',
      'resume <call> <leg>',
      'add-participant <call> <target>',
      'remove-participant <call> <participant>',
      'media upload <file>',
      'media rm <media-id>',
    ])
      expect(help).toContain(line);
    const media = (parse('media --help') as { text: string }).text;
    expect(media).toContain('Usage: callctl media <upload|list|get|rm>');
    expect(media).toContain('media get <media-id>');
    expect(parse('help media')).toEqual(parse('media -h'));
    expect(parse('media upload --help')).toMatchObject({ text: expect.stringContaining('--name <name>') });
    expect(parse('help say')).toMatchObject({ text: expect.stringContaining('--ssml') });
  });
});

describe('callctl command line: mistakes', () => {
  it.each([
    ['frobnicate', /unknown command "frobnicate"/, undefined],
    ['answer c1', /missing <leg>/, 'answer'],
    ['get c1 extra', /unexpected argument "extra"/, 'get'],
    ['get c1 --bogus', /bogus/, 'get'],
    ['dial sip:x@y --ring-timeout soon', /--ring-timeout: expected a duration/, 'dial'],
    ['reject c1 a1 --status 200', /--status: expected 400-699/, 'reject'],
    ['decide-transfer c1 x1 maybe', /accept or decline/, 'decide-transfer'],
    ['decide-transfer c1 x1 decline --status 200', /--status: expected 400-699/, 'decide-transfer'],
    ['collect c1 a1 --max-digits 0', /--max-digits: expected 1-64/, 'collect'],
    ['collect c1 a1 --terminators x', /--terminators: keys are 0-9/, 'collect'],
    ['dial sip:x@y --bridge-with a1', /--bridge-with needs --call/, 'dial'],
    ['watch --from-position -3', /from-position/, 'watch'],
    ['say c1 a1', /missing <text\.\.\.>/, 'say'],
    ['say c1 a1 hi --repeat 0', /--repeat: expected 1-1000/, 'say'],
    ['dtmf c1 a1 12X', /<digits>: keys are 0-9 \* # A-D \(got "12X"\)/, 'dtmf'],
    ['dtmf c1 a1 ' + '1'.repeat(33), /<digits>: at most 32 keys/, 'dtmf'],
    ['dtmf c1 a1 1 --duration 10ms', /--duration: expected 40ms-2s/, 'dtmf'],
    ['dtmf c1 a1 1 --duration 3s', /--duration: expected 40ms-2s/, 'dtmf'],
    ['detect-dtmf c1 a1 maybe', /expected on or off \(got "maybe"\)/, 'detect-dtmf'],
    [
      'collect c1 a1 --prompt welcome.wav',
      /--prompt: expected an http\(s\) URL, file:<id> or say:<text>/,
      'collect',
    ],
    ['collect c1 a1 --prompt file:', /--prompt: expected/, 'collect'],
    ['collect c1 a1 --barge-in', /--barge-in needs a --prompt/, 'collect'],
    ['collect c1 a1' + ' --prompt file:m'.repeat(11), /--prompt: at most 10 \(got 11\)/, 'collect'],
    ['answer c1 a1 --max-duration forever', /--max-duration: expected a duration/, 'answer'],
    ['media', /missing media command \(upload, list, get, rm\)/, 'media'],
    ['media delete m1', /unknown media command "delete" \(media commands: upload, list, get, rm\)/, 'media'],
    ['media upload', /missing <file>/, 'media upload'],
    ['media rm', /missing <media-id>/, 'media rm'],
    ['media list --page-size 501', /--page-size: expected 1-500/, 'media list'],
  ])('"%s" is a usage error: %s', (line, message, command) => {
    const error = usageError(line);
    expect(error.message).toMatch(message);
    expect(error.command).toBe(command);
  });
});

describe('durations', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('%s is %i ms', (text, ms) => expect(parseDurationMs(text, 'x')).toBe(ms));

  it('refuses negative, unit-less words and unknown units', () => {
    for (const text of ['-1s', 'soon', '5d', ''])
      expect(() => parseDurationMs(text, 'x')).toThrow(UsageError);
  });
});
