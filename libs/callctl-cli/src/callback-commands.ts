// The `callback` commands: callctl.v1.Callback, served by the callback service on its own address
// (--callback-address, else CALLCTL_CALLBACK_ADDRESS, else 127.0.0.1:$CALLCTL_CALLBACK_GRPC_PORT or 50057).
import type { CallbackRequestOf, CallbackUnaryMethod } from '@callctl/client';
import {
  KEY_OPTION,
  keyOf,
  PAGE_OPTIONS,
  pageOf,
  str,
  type CommandLineContext,
  type OptionSpec,
  type Values,
} from './command-options.js';
import type { CommandSpec } from './commands.js';
import { parseCount } from './duration.js';

/** The callback service's gRPC port in deploy/local/ports.env (CALLCTL_CALLBACK_GRPC_PORT). */
export const DEFAULT_CALLBACK_PORT = 50057;

/** One unary RPC of callctl.v1.Callback with its request. */
export type CallbackCall = {
  [M in CallbackUnaryMethod]: { method: M; request: CallbackRequestOf<M> };
}[CallbackUnaryMethod];

export type CallbackInvocation =
  | ({ kind: 'callback'; address: string } & CallbackCall)
  | { kind: 'callback-watch'; address: string; request: { fromPosition: number; callbackId: string } };

const ADDRESS_OPTION: OptionSpec = {
  type: 'string',
  value: 'host:port',
  help: `the callback service (env CALLCTL_CALLBACK_ADDRESS; default 127.0.0.1:${DEFAULT_CALLBACK_PORT})`,
};

function addressOf(values: Values, env: CommandLineContext['env']): string {
  return (
    str(values, 'callback-address') ??
    (env.CALLCTL_CALLBACK_ADDRESS || `127.0.0.1:${env.CALLCTL_CALLBACK_GRPC_PORT || DEFAULT_CALLBACK_PORT}`)
  );
}

/** A unary Callback command: its own options, plus the address. */
function callbackCommand(
  spec: Omit<CommandSpec, 'build'> & {
    call(args: string[], values: Values, context: CommandLineContext): CallbackCall;
  },
): CommandSpec {
  return {
    args: spec.args,
    summary: spec.summary,
    options: { 'callback-address': ADDRESS_OPTION, ...spec.options },
    build: (args, values, context) => ({
      kind: 'callback',
      address: addressOf(values, context.env),
      ...spec.call(args, values, context),
    }),
  };
}

export const CALLBACK_COMMANDS: Record<string, CommandSpec> = {
  'callback start': callbackCommand({
    args: ['user1', 'user2'],
    summary: 'call user1, then user2, and bridge them; prints the callback id and state',
    options: {
      duration: {
        type: 'string',
        value: 's',
        help: "seconds the call may last from user1's answer (default 0: the platform's limit)",
      },
      ann1: { type: 'string', value: 'id', help: '8-digit announcement for user1 (default 00080002)' },
      ann2: { type: 'string', value: 'id', help: '8-digit announcement for user2 (default none)' },
      digits: { type: 'string', value: 'digits', help: 'digits spoken to user2 on answer' },
      caller: {
        type: 'string',
        value: 'caller',
        help: "number or sip: URI both calls carry (default the service's)",
      },
      key: KEY_OPTION,
    },
    call: ([user1, user2], values, context) => {
      const duration = str(values, 'duration');
      return {
        method: 'startCallback',
        request: {
          user1: user1!,
          user2: user2!,
          maxDurationS: duration === undefined ? 0 : parseCount(duration, '--duration', 0, 0xffffffff),
          annId1: str(values, 'ann1') ?? '',
          annId2: str(values, 'ann2') ?? '',
          annDigits2: str(values, 'digits') ?? '',
          caller: str(values, 'caller') ?? '',
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  }),
  'callback get': callbackCommand({
    args: ['callback-id'],
    summary: 'show one callback',
    options: {},
    call: ([callbackId]) => ({ method: 'getCallback', request: { callbackId: callbackId! } }),
  }),
  'callback list': callbackCommand({
    args: [],
    summary: 'list callbacks, newest first',
    options: { active: { type: 'boolean', help: 'only callbacks not over' }, ...PAGE_OPTIONS },
    call: (_args, values) => ({
      method: 'listCallbacks',
      request: { activeOnly: values.active === true, ...pageOf(values) },
    }),
  }),
  'callback cancel': callbackCommand({
    args: ['callback-id'],
    summary: "release a callback's call (ok for one already over)",
    options: { reason: { type: 'string', value: 'text', help: 'recorded with the cancellation' } },
    call: ([callbackId], values) => ({
      method: 'cancelCallback',
      request: { callbackId: callbackId!, reason: str(values, 'reason') ?? '' },
    }),
  }),
  'callback watch': {
    args: ['[callback-id]'],
    summary: "print callback events as they happen (Ctrl-C stops); one callback's with an id",
    options: {
      'callback-address': ADDRESS_OPTION,
      'from-position': {
        type: 'string',
        value: 'n',
        help: 'start at this log position (default 0: the whole log)',
      },
    },
    build: ([callbackId], values, context) => {
      const from = str(values, 'from-position');
      return {
        kind: 'callback-watch',
        address: addressOf(values, context.env),
        request: {
          callbackId: callbackId ?? '',
          fromPosition:
            from === undefined ? 0 : parseCount(from, '--from-position', 0, Number.MAX_SAFE_INTEGER),
        },
      };
    },
  },
  'callback stats': callbackCommand({
    args: [],
    summary: "the callback service's admission and IIF counters",
    options: {},
    call: () => ({ method: 'getCallbackStats', request: {} }),
  }),
};
