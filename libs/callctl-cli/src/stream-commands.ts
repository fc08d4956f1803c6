// The `stream` and `siprec` commands: media streams to a customer WebSocket (StartStream and its controls)
// and SIPREC to an external recorder (StartSiprec and its controls), all on callctl.v1.CallControl. The
// checks here only make a mistyped line fail with a clear message before any request; the orchestrator
// validates every request again (it is the authority on the limits).
import { callEvents } from '@callctl/proto';
import { KEY_OPTION, keyOf, list, str, type OptionSpec, type Values } from './command-options.js';
import type { CommandSpec } from './commands.js';
import { UsageError } from './usage-error.js';

/** StartStreamRequest.custom_parameters: at most 32, keys ≤ 64 and values ≤ 1024 characters. */
const MAX_PARAMETERS = 32;
const MAX_PARAMETER_KEY = 64;
const MAX_PARAMETER_VALUE = 1024;
/** StartSiprecRequest: 1-5 SRS URIs, up to 5 headers named `X-` + RFC 3261 token characters. */
const MAX_SRS = 5;
const MAX_HEADERS = 5;
const X_HEADER_NAME = /^X-[A-Za-z0-9\-.!%*_+`'~]+$/i;

const TRACKS: Record<string, callEvents.StreamTracks> = {
  'per-participant': callEvents.StreamTracks.STREAM_TRACKS_PER_PARTICIPANT,
  mixed: callEvents.StreamTracks.STREAM_TRACKS_MIXED,
};
const ENCODINGS: Record<string, callEvents.StreamEncoding> = {
  pcmu: callEvents.StreamEncoding.STREAM_ENCODING_PCMU,
  l16: callEvents.StreamEncoding.STREAM_ENCODING_L16,
};

const CLIENT_STATE_OPTION: OptionSpec = {
  type: 'string',
  value: 'text',
  help: 'given back in every event of it (client_state)',
};

/** `name=value` pairs of a repeated option, in order, refusing an empty name and a name given twice. */
function pairsOf(values: Values, option: string, what: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const text of list(values, option)) {
    const at = text.indexOf('=');
    if (at <= 0) throw new UsageError(`--${option}: expected ${what}=value (got "${text}")`);
    const name = text.slice(0, at);
    if ([...pairs.keys()].some((k) => k.toLowerCase() === name.toLowerCase()))
      throw new UsageError(`--${option}: "${name}" given twice`);
    pairs.set(name, text.slice(at + 1));
  }
  return pairs;
}

function streamUrlOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`<url>: expected wss://host[:port]/path (got "${url}")`);
  }
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:')
    throw new UsageError(`<url>: expected a wss:// (or ws://) URL (got "${url}")`);
  return url;
}

function formatOf(values: Values): { encoding: callEvents.StreamEncoding; sampleRate: number } {
  const encodingWord = str(values, 'encoding') ?? 'pcmu';
  const encoding = ENCODINGS[encodingWord];
  if (encoding === undefined)
    throw new UsageError(`--encoding: expected pcmu or l16 (got "${encodingWord}")`);
  const rateWord = str(values, 'rate') ?? '8000';
  if (rateWord !== '8000' && rateWord !== '16000')
    throw new UsageError(`--rate: expected 8000 or 16000 (got "${rateWord}")`);
  const sampleRate = Number(rateWord);
  if (encoding === callEvents.StreamEncoding.STREAM_ENCODING_PCMU && sampleRate !== 8000)
    throw new UsageError('--rate 16000 goes with --encoding l16 (PCMU is 8000 Hz only)');
  return { encoding, sampleRate };
}

function parametersOf(values: Values): Record<string, string> {
  const parameters = pairsOf(values, 'param', 'key');
  if (parameters.size > MAX_PARAMETERS)
    throw new UsageError(`--param: at most ${MAX_PARAMETERS} (got ${parameters.size})`);
  for (const [key, value] of parameters) {
    if (key.length > MAX_PARAMETER_KEY)
      throw new UsageError(`--param: a key of at most ${MAX_PARAMETER_KEY} characters (got "${key}")`);
    if (value.length > MAX_PARAMETER_VALUE)
      throw new UsageError(`--param ${key}: a value of at most ${MAX_PARAMETER_VALUE} characters`);
  }
  return Object.fromEntries(parameters);
}

function headersOf(values: Values): Record<string, string> {
  const headers = pairsOf(values, 'header', 'X-Name');
  if (headers.size > MAX_HEADERS)
    throw new UsageError(`--header: at most ${MAX_HEADERS} (got ${headers.size})`);
  for (const [name, value] of headers) {
    if (!X_HEADER_NAME.test(name))
      throw new UsageError(`--header: the name must be an X- header token, e.g. X-Tenant (got "${name}")`);
    if (/[\r\n]/.test(value)) throw new UsageError(`--header ${name}: the value may not hold a line break`);
  }
  return Object.fromEntries(headers);
}

/** `stream stop|pause|resume <call> <stream>` and `siprec pause|resume|stop <call> <siprec>`. */
function streamControl(method: 'stopStream' | 'pauseStream' | 'resumeStream', summary: string): CommandSpec {
  return {
    args: ['call', 'stream'],
    summary,
    options: {},
    build: ([callId, streamId]) => ({
      kind: 'unary',
      method,
      request: { callId: callId!, streamId: streamId! },
    }),
  };
}

function siprecControl(method: 'pauseSiprec' | 'resumeSiprec' | 'stopSiprec', summary: string): CommandSpec {
  return {
    args: ['call', 'siprec'],
    summary,
    options: {},
    build: ([callId, siprecId]) => ({
      kind: 'unary',
      method,
      request: { callId: callId!, siprecId: siprecId! },
    }),
  };
}

export const STREAM_COMMANDS: Record<string, CommandSpec> = {
  'stream start': {
    args: ['call', 'url'],
    summary: "stream a call's (or a leg's) audio to a WebSocket (wss://); prints its id",
    options: {
      leg: {
        type: 'string',
        value: 'leg',
        help: 'only this answered leg (default: every party of the call)',
      },
      tracks: {
        type: 'string',
        value: 'per-participant|mixed',
        help: 'one channel per party, or the parties mixed (default per-participant)',
      },
      encoding: { type: 'string', value: 'pcmu|l16', help: 'media payloads (default pcmu)' },
      rate: { type: 'string', value: '8000|16000', help: 'sample rate; 16000 with l16 only (default 8000)' },
      bidirectional: {
        type: 'boolean',
        help: 'the endpoint may send media back (played into the call), clear and mark',
      },
      param: {
        type: 'string',
        multiple: true,
        value: 'key=value',
        help: `a custom parameter given back in start (repeatable, up to ${MAX_PARAMETERS})`,
      },
      authorization: {
        type: 'string',
        value: 'header',
        help: 'the WebSocket upgrade\'s Authorization header, e.g. "Bearer abc"',
      },
      key: KEY_OPTION,
      'client-state': CLIENT_STATE_OPTION,
    },
    build: ([callId, url], values, context) => {
      const tracksWord = str(values, 'tracks') ?? 'per-participant';
      const tracks = TRACKS[tracksWord];
      if (tracks === undefined)
        throw new UsageError(`--tracks: expected per-participant or mixed (got "${tracksWord}")`);
      return {
        kind: 'unary',
        method: 'startStream',
        request: {
          callId: callId!,
          legId: str(values, 'leg') ?? '',
          url: streamUrlOf(url!),
          tracks,
          ...formatOf(values),
          bidirectional: values.bidirectional === true,
          customParameters: parametersOf(values),
          authorization: str(values, 'authorization') ?? '',
          idempotencyKey: keyOf(values, context),
          clientState: str(values, 'client-state') ?? '',
        },
      };
    },
  },
  'stream stop': streamControl('stopStream', 'stop a stream (close with reason stopped-by-api)'),
  'stream pause': streamControl(
    'pauseStream',
    'pause a stream: no media sent (or played back) until resumed',
  ),
  'stream resume': streamControl('resumeStream', 'resume a paused stream'),
  'siprec start': {
    args: ['call', 'srs-uri...'],
    summary: 'record a call to an external SRS by SIPREC (more URIs: failover, in order); prints its id',
    options: {
      header: {
        type: 'string',
        multiple: true,
        value: 'X-Name=value',
        help: `an X- header added to the INVITE (repeatable, up to ${MAX_HEADERS})`,
      },
      key: KEY_OPTION,
      'client-state': CLIENT_STATE_OPTION,
    },
    build: ([callId, uris], values, context) => {
      const srsUris = uris!.split(/\s+/).filter(Boolean);
      if (srsUris.length > MAX_SRS)
        throw new UsageError(`at most ${MAX_SRS} SRS URIs (got ${srsUris.length})`);
      const bad = srsUris.find((uri) => !/^sips?:/i.test(uri));
      if (bad) throw new UsageError(`<srs-uri>: expected a sip: or sips: URI (got "${bad}")`);
      return {
        kind: 'unary',
        method: 'startSiprec',
        request: {
          callId: callId!,
          srsUris,
          headers: headersOf(values),
          idempotencyKey: keyOf(values, context),
          clientState: str(values, 'client-state') ?? '',
        },
      };
    },
  },
  'siprec pause': siprecControl(
    'pauseSiprec',
    'pause SIPREC: the SRS is re-INVITEd a=inactive (the call is untouched)',
  ),
  'siprec resume': siprecControl('resumeSiprec', 'resume a paused SIPREC session'),
  'siprec stop': siprecControl('stopSiprec', 'end a SIPREC session (BYE to the SRS)'),
};
