// `callctl stream ...` and `callctl siprec ...` to CallControl requests, and the lines they refuse.
import { callEvents } from '@callctl/proto';
import { parseCommandLine } from './command-line.js';
import { context, parse, run, usageError } from '../test/support/parse.js';

const { STREAM_TRACKS_PER_PARTICIPANT, STREAM_TRACKS_MIXED } = callEvents.StreamTracks;
const { STREAM_ENCODING_PCMU, STREAM_ENCODING_L16 } = callEvents.StreamEncoding;

describe('callctl stream: commands to requests', () => {
  it('start makes a StartStream of the whole call, PCMU 8 kHz per participant, with a fresh key', () => {
    expect(run('stream start c1 wss://bot.example.com/media').invocation).toEqual({
      kind: 'unary',
      method: 'startStream',
      request: {
        callId: 'c1',
        legId: '',
        url: 'wss://bot.example.com/media',
        tracks: STREAM_TRACKS_PER_PARTICIPANT,
        encoding: STREAM_ENCODING_PCMU,
        sampleRate: 8000,
        bidirectional: false,
        customParameters: {},
        authorization: '',
        idempotencyKey: 'new-id',
        clientState: '',
      },
    });
  });

  it('start takes every option: one leg, mixed L16 16 kHz, bidirectional, parameters in order', () => {
    expect(
      run(
        'stream start c1 ws://127.0.0.1:8080/in --leg a1 --tracks mixed --encoding l16 --rate 16000 ' +
          '--bidirectional --param agent=42 --param queue=sales=eu --param empty= --key k1 --client-state s1',
      ).invocation,
    ).toMatchObject({
      method: 'startStream',
      request: {
        legId: 'a1',
        url: 'ws://127.0.0.1:8080/in',
        tracks: STREAM_TRACKS_MIXED,
        encoding: STREAM_ENCODING_L16,
        sampleRate: 16000,
        bidirectional: true,
        customParameters: { agent: '42', queue: 'sales=eu', empty: '' },
        idempotencyKey: 'k1',
        clientState: 's1',
      },
    });
  });

  it('start sends --authorization as given, spaces included', () => {
    const parsed = parseCommandLine(
      ['stream', 'start', 'c1', 'wss://h/x', '--authorization', 'Bearer abc.def'],
      context,
    );
    expect(parsed).toMatchObject({ invocation: { request: { authorization: 'Bearer abc.def' } } });
  });

  it.each([
    ['stream stop c1 str-1', 'stopStream'],
    ['stream pause c1 str-1', 'pauseStream'],
    ['stream resume c1 str-1', 'resumeStream'],
  ])('%s makes %s', (line, method) => {
    expect(run(line).invocation).toEqual({
      kind: 'unary',
      method,
      request: { callId: 'c1', streamId: 'str-1' },
    });
  });

  it.each([
    ['stream start c1 ftp://h/x', /<url>: expected a wss:\/\/ \(or ws:\/\/\) URL/],
    ['stream start c1 bot.example.com', /<url>: expected wss:\/\/host/],
    ['stream start c1', /missing <url>/],
    ['stream start c1 wss://h --tracks stereo', /--tracks: expected per-participant or mixed/],
    ['stream start c1 wss://h --encoding opus', /--encoding: expected pcmu or l16/],
    ['stream start c1 wss://h --rate 44100', /--rate: expected 8000 or 16000/],
    ['stream start c1 wss://h --rate 16000', /--rate 16000 goes with --encoding l16/],
    ['stream start c1 wss://h --param novalue', /--param: expected key=value/],
    ['stream start c1 wss://h --param =v', /--param: expected key=value/],
    ['stream start c1 wss://h --param a=1 --param A=2', /--param: "A" given twice/],
    [`stream start c1 wss://h --param ${'k'.repeat(65)}=v`, /a key of at most 64/],
    ['stream stop c1', /missing <stream>/],
    ['stream halt c1 str-1', /unknown stream command "halt"/],
  ])('refuses %s', (line, message) => {
    expect(usageError(line).message).toMatch(message);
  });

  it('refuses more than 32 custom parameters', () => {
    const params = Array.from({ length: 33 }, (_, i) => `--param p${i}=v`).join(' ');
    expect(usageError(`stream start c1 wss://h ${params}`).message).toMatch(/--param: at most 32 \(got 33\)/);
  });

  it('lists the stream and siprec commands in their help', () => {
    const help = parse('stream --help');
    expect(help).toMatchObject({ kind: 'help' });
    expect(help.kind === 'help' && help.text).toMatch(/stream start <call> <url>[\s\S]*stream resume/);
    const start = parse('stream start --help');
    expect(start.kind === 'help' && start.text).toMatch(/--tracks <per-participant\|mixed>/);
    const siprec = parse('siprec --help');
    expect(siprec.kind === 'help' && siprec.text).toMatch(/siprec start <call> <srs-uri\.\.\.>/);
  });
});

describe('callctl siprec: commands to requests', () => {
  it('start makes a StartSiprec with the SRS URIs in order (failover) and the X- headers', () => {
    expect(
      run(
        'siprec start c1 sip:srs1@10.0.0.5 sips:srs2@rec.example.com:5061 ' +
          '--header X-Tenant=acme --header X-Case-Id=7=8 --key k2 --client-state s2',
      ).invocation,
    ).toEqual({
      kind: 'unary',
      method: 'startSiprec',
      request: {
        callId: 'c1',
        srsUris: ['sip:srs1@10.0.0.5', 'sips:srs2@rec.example.com:5061'],
        headers: { 'X-Tenant': 'acme', 'X-Case-Id': '7=8' },
        idempotencyKey: 'k2',
        clientState: 's2',
      },
    });
  });

  it('start with one SRS and no header', () => {
    expect(run('siprec start c1 sip:srs@127.0.0.1:5090').invocation).toMatchObject({
      request: { srsUris: ['sip:srs@127.0.0.1:5090'], headers: {}, idempotencyKey: 'new-id' },
    });
  });

  it.each([
    ['siprec pause c1 srec-1', 'pauseSiprec'],
    ['siprec resume c1 srec-1', 'resumeSiprec'],
    ['siprec stop c1 srec-1', 'stopSiprec'],
  ])('%s makes %s', (line, method) => {
    expect(run(line).invocation).toEqual({
      kind: 'unary',
      method,
      request: { callId: 'c1', siprecId: 'srec-1' },
    });
  });

  it.each([
    ['siprec start c1', /missing <srs-uri\.\.\.>/],
    ['siprec start c1 http://srs', /<srs-uri>: expected a sip: or sips: URI \(got "http:\/\/srs"\)/],
    ['siprec start c1 sip:a sip:b sip:c sip:d sip:e sip:f', /at most 5 SRS URIs \(got 6\)/],
    ['siprec start c1 sip:a --header Tenant=acme', /--header: the name must be an X- header token/],
    ['siprec start c1 sip:a --header X-Bad(name)=1', /--header: the name must be an X- header token/],
    ['siprec start c1 sip:a --header X-A=1 --header x-a=2', /--header: "x-a" given twice/],
    [
      'siprec start c1 sip:a --header X-1=a --header X-2=a --header X-3=a --header X-4=a --header X-5=a --header X-6=a',
      /--header: at most 5 \(got 6\)/,
    ],
    ['siprec stop c1', /missing <siprec>/],
  ])('refuses %s', (line, message) => {
    expect(usageError(line).message).toMatch(message);
  });

  it('refuses a header value with a line break', () => {
    expect(() =>
      parseCommandLine(['siprec', 'start', 'c1', 'sip:a', '--header', 'X-A=1\r\nVia: evil'], context),
    ).toThrow(/--header X-A: the value may not hold a line break/);
  });
});
