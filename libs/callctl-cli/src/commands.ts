import type { RequestOf, UnaryMethod } from '@callctl/client';
import type { callControl } from '@callctl/proto';
import { parseCount, parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

// What each callctl command takes and which CallControl request it makes: one table, read by the parser
// and the help in command-line.ts.

/** One unary RPC of callctl.v1.CallControl with its request. */
export type UnaryCall = { [M in UnaryMethod]: { method: M; request: RequestOf<M> } }[UnaryMethod];

export type Invocation =
  ({ kind: 'unary' } & UnaryCall) | { kind: 'watch'; request: callControl.WatchEventsRequest };

export interface CommandLineContext {
  /** CALLCTL_SERVER and CALLCTL_ORCHESTRATOR_GRPC_PORT are read from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Makes idempotency keys for requests that need one. */
  newId(): string;
}

export const DEFAULT_FROM_URI = 'sip:callctl@127.0.0.1';

export type OptionKind = 'string' | 'boolean';
export interface OptionSpec {
  type: OptionKind;
  /** Placeholder in the help, for string options. */
  value?: string;
  help: string;
}
export type Values = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  /** Positional arguments after the command name: required ones, then optional ones in [brackets]. */
  args: string[];
  summary: string;
  options: Record<string, OptionSpec>;
  build(args: string[], values: Values, context: CommandLineContext): Invocation;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  server: { type: 'string', value: 'host:port', help: 'CallControl server (env CALLCTL_SERVER)' },
  timeout: { type: 'string', value: 'duration', help: 'deadline of each request (default 10s)' },
  json: { type: 'boolean', help: 'print the response (or each event) as JSON' },
  help: { type: 'boolean', help: 'show help (also -h)' },
};

const KEY_OPTION: OptionSpec = {
  type: 'string',
  value: 'key',
  help: 'idempotency key: repeating it repeats nothing (default: a new UUID)',
};

/** A string option's value, or undefined when absent. */
export const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
const durationOr0 = (values: Values, name: string) => {
  const text = str(values, name);
  return text === undefined ? 0 : parseDurationMs(text, name);
};
const keyOf = (values: Values, context: CommandLineContext) => str(values, 'key') ?? context.newId();

export const COMMANDS: Record<string, CommandSpec> = {
  dial: {
    args: ['sip-uri'],
    summary: 'call a SIP URI (a new call; with --call, a new leg of that call)',
    options: {
      from: { type: 'string', value: 'sip-uri', help: `From URI (default ${DEFAULT_FROM_URI})` },
      'ring-timeout': {
        type: 'string',
        value: 'duration',
        help: 'cancel if not answered by then (default 30s)',
      },
      'max-duration': {
        type: 'string',
        value: 'duration',
        help: 'hang up this long after answer (no limit)',
      },
      'client-state': { type: 'string', value: 'text', help: 'application data echoed on every event' },
      call: { type: 'string', value: 'call', help: 'dial from this existing call' },
      'bridge-with': {
        type: 'string',
        value: 'leg',
        help: 'with --call: bridge the new leg with this leg on answer (else the platform answers it alone)',
      },
      key: KEY_OPTION,
    },
    build: ([toUri], values, context) => {
      const fromUri = str(values, 'from') ?? DEFAULT_FROM_URI;
      const ringTimeoutMs = durationOr0(values, 'ring-timeout');
      const callId = str(values, 'call');
      const idempotencyKey = keyOf(values, context);
      if (callId !== undefined) {
        const bridgeWithLegId = str(values, 'bridge-with') ?? '';
        if (values['max-duration'] !== undefined || values['client-state'] !== undefined)
          throw new UsageError(
            '--max-duration and --client-state are for a new call, not with --call',
            'dial',
          );
        return {
          kind: 'unary',
          method: 'dial',
          request: { callId, bridgeWithLegId, toUri: toUri!, fromUri, ringTimeoutMs, idempotencyKey },
        };
      }
      if (values['bridge-with'] !== undefined)
        throw new UsageError('--bridge-with needs --call <call>', 'dial');
      return {
        kind: 'unary',
        method: 'createCall',
        request: {
          toUri: toUri!,
          fromUri,
          ringTimeoutMs,
          maxDurationMs: durationOr0(values, 'max-duration'),
          clientState: str(values, 'client-state') ?? '',
          idempotencyKey,
        },
      };
    },
  },
  answer: {
    args: ['call', 'leg'],
    summary: 'answer a ringing inbound leg',
    options: { 'client-state': { type: 'string', value: 'text', help: "replace the call's client state" } },
    build: ([callId, legId], values) => ({
      kind: 'unary',
      method: 'answerLeg',
      request: { callId: callId!, legId: legId!, clientState: str(values, 'client-state') ?? '' },
    }),
  },
  reject: {
    args: ['call', 'leg'],
    summary: 'reject a ringing inbound leg',
    options: {
      status: { type: 'string', value: 'code', help: 'SIP final status 400-699 (default 603)' },
      reason: { type: 'string', value: 'text', help: 'reason phrase' },
    },
    build: ([callId, legId], values) => {
      const status = str(values, 'status');
      return {
        kind: 'unary',
        method: 'rejectLeg',
        request: {
          callId: callId!,
          legId: legId!,
          sipStatus: status === undefined ? 0 : parseCount(status, '--status', 400, 699),
          reason: str(values, 'reason') ?? '',
        },
      };
    },
  },
  play: {
    args: ['call', 'leg', 'file|url'],
    summary: 'play an http(s) URL or an uploaded file id to an answered leg',
    options: {
      repeat: { type: 'string', value: 'n', help: 'times to play in a row (default 1)' },
      key: KEY_OPTION,
    },
    build: ([callId, legId, source], values, context) => {
      const repeat = str(values, 'repeat');
      return {
        kind: 'unary',
        method: 'playMedia',
        request: {
          callId: callId!,
          legId: legId!,
          media: /^https?:\/\//i.test(source!)
            ? { $case: 'url', url: source! }
            : { $case: 'fileId', fileId: source! },
          repeat: repeat === undefined ? 0 : parseCount(repeat, '--repeat', 1, 1000),
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  stop: {
    args: ['call', 'playback'],
    summary: 'stop a playback',
    options: {},
    build: ([callId, playbackId]) => ({
      kind: 'unary',
      method: 'stopMedia',
      request: { callId: callId!, playbackId: playbackId! },
    }),
  },
  collect: {
    args: ['call', 'leg'],
    summary: 'collect DTMF digits on an answered leg (result: a DigitsCollected event)',
    options: {
      'max-digits': { type: 'string', value: 'n', help: 'stop after n digits, 1-64 (default 1)' },
      terminators: { type: 'string', value: 'keys', help: 'keys that end it early, e.g. "#"' },
      'first-timeout': { type: 'string', value: 'duration', help: 'wait for the first digit (default 5s)' },
      'inter-timeout': { type: 'string', value: 'duration', help: 'wait between digits (default 3s)' },
      key: KEY_OPTION,
    },
    build: ([callId, legId], values, context) => {
      const maxDigits = str(values, 'max-digits');
      const terminators = str(values, 'terminators') ?? '';
      if (!/^[0-9*#A-D]*$/.test(terminators))
        throw new UsageError(`--terminators: keys are 0-9 * # A-D (got "${terminators}")`, 'collect');
      return {
        kind: 'unary',
        method: 'collectDigits',
        request: {
          callId: callId!,
          legId: legId!,
          maxDigits: maxDigits === undefined ? 0 : parseCount(maxDigits, '--max-digits', 1, 64),
          terminators,
          firstDigitTimeoutMs: durationOr0(values, 'first-timeout'),
          interDigitTimeoutMs: durationOr0(values, 'inter-timeout'),
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  echo: {
    args: ['call', 'leg'],
    summary: "send a leg's own media back to it (--stop ends it)",
    options: { stop: { type: 'boolean', help: 'stop the echo' } },
    build: ([callId, legId], values) => ({
      kind: 'unary',
      ...(values.stop
        ? { method: 'stopEcho' as const, request: { callId: callId!, legId: legId! } }
        : { method: 'startEcho' as const, request: { callId: callId!, legId: legId! } }),
    }),
  },
  bridge: {
    args: ['call', 'leg-a', 'leg-b'],
    summary: 'bridge two answered legs of a call',
    options: { key: KEY_OPTION },
    build: ([callId, legAId, legBId], values, context) => ({
      kind: 'unary',
      method: 'bridgeLegs',
      request: { callId: callId!, legAId: legAId!, legBId: legBId!, idempotencyKey: keyOf(values, context) },
    }),
  },
  hangup: {
    args: ['call', '[leg]'],
    summary: 'hang up one leg, or every leg of the call',
    options: {},
    build: ([callId, legId]) => ({
      kind: 'unary',
      method: 'hangup',
      request: { callId: callId!, legId: legId ?? '' },
    }),
  },
  get: {
    args: ['call'],
    summary: 'show a call as rebuilt from its events',
    options: {},
    build: ([callId]) => ({ kind: 'unary', method: 'getCall', request: { callId: callId! } }),
  },
  list: {
    args: [],
    summary: 'list active calls, oldest first',
    options: {
      'page-size': { type: 'string', value: 'n', help: 'calls per page, 1-500 (default 100)' },
      'page-token': { type: 'string', value: 'token', help: 'the next page, from the previous list' },
    },
    build: (_args, values) => {
      const pageSize = str(values, 'page-size');
      return {
        kind: 'unary',
        method: 'listCalls',
        request: {
          pageSize: pageSize === undefined ? 0 : parseCount(pageSize, '--page-size', 1, 500),
          pageToken: str(values, 'page-token') ?? '',
        },
      };
    },
  },
  watch: {
    args: [],
    summary: 'print the stored events from a log position, then live ones, until Ctrl-C',
    options: {
      call: { type: 'string', value: 'call', help: 'only this call' },
      'from-position': {
        type: 'string',
        value: 'n',
        help: 'first log position to print (default 0: the whole log, then live)',
      },
    },
    build: (_args, values) => {
      const from = str(values, 'from-position');
      return {
        kind: 'watch',
        request: {
          callId: str(values, 'call') ?? '',
          fromPosition:
            from === undefined ? 0 : parseCount(from, '--from-position', 0, Number.MAX_SAFE_INTEGER),
        },
      };
    },
  },
};

/** Every command name, in the order the help lists them. */
export const COMMAND_NAMES = Object.keys(COMMANDS);
