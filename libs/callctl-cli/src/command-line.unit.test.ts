import { parseCommandLine, type CommandLine } from './command-line.js';
import type { CommandLineContext } from './commands.js';
import { parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

const context: CommandLineContext = { env: {}, newId: () => 'new-id' };
const parse = (line: string, env: CommandLineContext['env'] = {}) =>
  parseCommandLine(line.split(' ').filter(Boolean), { ...context, env });
const run = (line: string) => {
  const parsed = parse(line);
  if (parsed.kind !== 'run') throw new Error(`expected a command, got help for "${line}"`);
  return parsed;
};
const usageError = (line: string) => {
  try {
    parse(line);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`"${line}" was accepted`);
};

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
      },
    });
  });

  it.each([
    ['answer c1 a1', 'answerLeg', { callId: 'c1', legId: 'a1', clientState: '' }],
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
});

describe('callctl command line: mistakes', () => {
  it.each([
    ['frobnicate', /unknown command "frobnicate"/, undefined],
    ['answer c1', /missing <leg>/, 'answer'],
    ['get c1 extra', /unexpected argument "extra"/, 'get'],
    ['get c1 --bogus', /bogus/, 'get'],
    ['dial sip:x@y --ring-timeout soon', /--ring-timeout: expected a duration/, 'dial'],
    ['reject c1 a1 --status 200', /--status: expected 400-699/, 'reject'],
    ['collect c1 a1 --max-digits 0', /--max-digits: expected 1-64/, 'collect'],
    ['collect c1 a1 --terminators x', /--terminators: keys are 0-9/, 'collect'],
    ['dial sip:x@y --bridge-with a1', /--bridge-with needs --call/, 'dial'],
    ['watch --from-position -3', /from-position/, 'watch'],
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
