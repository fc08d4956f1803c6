import { basename } from 'node:path';
import {
  UPLOAD_MEDIA_DEADLINE_MS,
  type MediaRequestOf,
  type MediaUnaryMethod,
  type RecordingsRequestOf,
  type RecordingsUnaryMethod,
  type RequestOf,
  type UnaryMethod,
} from '@callctl/client';
import { callEvents, type callControl } from '@callctl/proto';
import { CALLBACK_COMMANDS, type CallbackInvocation } from './callback-commands.js';
import {
  KEY_OPTION,
  keyOf,
  list,
  PAGE_OPTIONS,
  pageOf,
  str,
  type CommandLineContext,
  type OptionSpec,
  type Values,
} from './command-options.js';
import { parseCount, parseDurationMs } from './duration.js';
import { PROVISIONING_COMMANDS, type ProvisioningInvocation } from './provisioning-commands.js';
import { STREAM_COMMANDS } from './stream-commands.js';
import { UsageError } from './usage-error.js';

// What each callctl command takes and which CallControl or MediaLibrary request it makes: one table, read
// by the parser and the help in command-line.ts.

/** One unary RPC of callctl.v1.CallControl with its request. */
export type UnaryCall = { [M in UnaryMethod]: { method: M; request: RequestOf<M> } }[UnaryMethod];

/** One unary RPC of callctl.v1.MediaLibrary with its request. */
export type MediaCall = {
  [M in MediaUnaryMethod]: { method: M; request: MediaRequestOf<M> };
}[MediaUnaryMethod];

/** One unary RPC of callctl.v1.Recordings with its request. */
export type RecordingsCall = {
  [M in RecordingsUnaryMethod]: { method: M; request: RecordingsRequestOf<M> };
}[RecordingsUnaryMethod];

export type Invocation =
  | ({ kind: 'unary' } & UnaryCall)
  | ({ kind: 'media' } & MediaCall)
  | ({ kind: 'recordings' } & RecordingsCall)
  /** Recordings.DownloadRecording of one part into a local file. */
  | { kind: 'download'; request: { recordingId: string; part: number }; out: string }
  /** MediaLibrary.UploadMedia of a local file, read as it is sent. */
  | { kind: 'upload'; path: string; name: string }
  | { kind: 'watch'; request: callControl.WatchEventsRequest }
  | CallbackInvocation
  | ProvisioningInvocation;

export {
  str,
  type CommandLineContext,
  type OptionKind,
  type OptionSpec,
  type Values,
} from './command-options.js';

export const DEFAULT_FROM_URI = 'sip:callctl@127.0.0.1';

export interface CommandSpec {
  /**
   * Positional arguments after the command name: required ones, then optional ones in [brackets]. A last
   * one named `name...` takes the rest of the words, joined by spaces.
   */
  args: string[];
  summary: string;
  options: Record<string, OptionSpec>;
  build(args: string[], values: Values, context: CommandLineContext): Invocation;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  server: {
    type: 'string',
    value: 'host:port',
    help: 'CallControl, MediaLibrary and Recordings server (env CALLCTL_SERVER)',
  },
  timeout: {
    type: 'string',
    value: 'duration',
    help: `deadline of each request (default 10s; of an upload ${UPLOAD_MEDIA_DEADLINE_MS / 60_000}m)`,
  },
  token: { type: 'string', value: 'token', help: 'API token, sent as a bearer token (env CALLCTL_TOKEN)' },
  tls: { type: 'boolean', help: 'connect with TLS, trusting the system CAs (env CALLCTL_TLS=1)' },
  'ca-file': {
    type: 'string',
    value: 'path',
    help: "TLS, trusting this CA's PEM certificate (env CALLCTL_CA_FILE)",
  },
  'cert-file': {
    type: 'string',
    value: 'path',
    help: 'TLS client certificate, PEM, with --key-file (env CALLCTL_CERT_FILE)',
  },
  'key-file': { type: 'string', value: 'path', help: 'its private key, PEM (env CALLCTL_KEY_FILE)' },
  json: { type: 'boolean', help: 'print the response (or each event) as JSON' },
  help: { type: 'boolean', help: 'show help (also -h)' },
};

const durationOr0 = (values: Values, name: string) => {
  const text = str(values, name);
  return text === undefined ? 0 : parseDurationMs(text, name);
};
const repeatOf = (values: Values) => {
  const repeat = str(values, 'repeat');
  return repeat === undefined ? 0 : parseCount(repeat, '--repeat', 1, 1000);
};

/** RecordLegRequest: max_length_ms at most 1 h; the terminator one of these keys. */
const MAX_SEGMENT_MS = 3_600_000;
const TERMINATOR_KEYS = /^[0-9*#]$/;

const recordingControl = (
  method: 'pauseRecording' | 'resumeRecording' | 'stopRecording',
  summary: string,
): CommandSpec => ({
  args: ['call', 'recording-id'],
  summary,
  options: {},
  build: ([callId, recordingId]) => ({
    kind: 'unary',
    method,
    request: { callId: callId!, recordingId: recordingId! },
  }),
});

/** The keys a DTMF digit may be (RFC 4733 events 0-15), as the proto documents. */
const DTMF_KEYS = /^[0-9*#A-D]+$/;
/** Bounds of SendDtmfRequest (its proto comment): 1-32 keys, tones of 40-2000 ms. */
const MAX_DTMF_DIGITS = 32;
const DTMF_TONE_MS = { min: 40, max: 2000 } as const;
/** CollectDigitsRequest.prompts: up to 10. */
const MAX_PROMPTS = 10;

const SPEECH_OPTIONS: Record<string, OptionSpec> = {
  voice: {
    type: 'string',
    value: 'voice',
    help: "provider voice, e.g. en-us, Joanna (default: the provider's)",
  },
  provider: { type: 'string', value: 'name', help: "espeak, polly or google (default: the platform's)" },
  language: { type: 'string', value: 'bcp47', help: "language, e.g. en-US (default: the voice's)" },
};

/** Text (or SSML) to speak with the voice options given. */
const speechOf = (text: string, values: Values, ssml: boolean): NonNullable<RequestOf<'say'>['speech']> => ({
  input: ssml ? { $case: 'ssml', ssml: text } : { $case: 'text', text },
  voice: str(values, 'voice') ?? '',
  provider: str(values, 'provider') ?? '',
  language: str(values, 'language') ?? '',
});

type PromptOf = NonNullable<RequestOf<'collectDigits'>['prompts']>[number];
/**
 * `--prompt` (or `--music`): an http(s) URL, `file:<media id>` or `say:<text>` (spoken with the voice
 * options).
 */
function promptOf(text: string, values: Values, option = '--prompt'): PromptOf {
  if (/^https?:\/\//i.test(text)) return { media: { $case: 'url', url: text } };
  const [, scheme, rest] = /^(file|say):(.*)$/s.exec(text) ?? [];
  if (scheme === 'file' && rest!.trim()) return { media: { $case: 'fileId', fileId: rest! } };
  if (scheme === 'say' && rest!.trim())
    return { media: { $case: 'say', say: speechOf(rest!, values, false) } };
  throw new UsageError(`${option}: expected an http(s) URL, file:<id> or say:<text> (got "${text}")`);
}

const MODE_OPTION: OptionSpec = { type: 'string', value: 'listen|whisper|barge', help: 'default listen' };
const WHISPER_LEG_OPTION: OptionSpec = {
  type: 'string',
  value: 'leg',
  help: 'with whisper: the party leg that hears the supervisor',
};
const MONITOR_MODES: Record<string, callEvents.MonitorMode> = {
  listen: callEvents.MonitorMode.MONITOR_MODE_LISTEN,
  whisper: callEvents.MonitorMode.MONITOR_MODE_WHISPER,
  barge: callEvents.MonitorMode.MONITOR_MODE_BARGE,
};
const PARTICIPANT_MODES: Record<string, callEvents.ParticipantMode> = {
  full: callEvents.ParticipantMode.PARTICIPANT_MODE_FULL,
  listen: callEvents.ParticipantMode.PARTICIPANT_MODE_LISTEN,
};
/** `--mode` (or the positional mode) and `--whisper-leg`, which whisper needs and the others refuse. */
function monitorModeOf(
  values: Values,
  command: string,
  unset: callEvents.MonitorMode | undefined,
): { mode: callEvents.MonitorMode; whisperLegId: string } {
  const word = str(values, 'mode');
  const mode = word === undefined ? unset : MONITOR_MODES[word];
  if (mode === undefined) throw new UsageError(`expected listen, whisper or barge (got "${word}")`, command);
  const whisperLegId = str(values, 'whisper-leg') ?? '';
  const whispers = mode === callEvents.MonitorMode.MONITOR_MODE_WHISPER;
  if (whispers !== (whisperLegId !== ''))
    throw new UsageError('--whisper-leg goes with whisper, and whisper needs it', command);
  return { mode, whisperLegId };
}

const MUSIC_OPTION: OptionSpec = {
  type: 'string',
  value: 'url|file:id|say:text',
  help: 'what the held party hears, on a loop (default: silence)',
};
/** A transfer of the call: `<call> <transfer>`. */
const transferCall = (method: 'completeTransfer' | 'cancelConsultation', summary: string): CommandSpec => ({
  args: ['call', 'transfer'],
  summary,
  options: {},
  build: ([callId, transferId]) => ({
    kind: 'unary',
    method,
    request: { callId: callId!, transferId: transferId! },
  }),
});

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
    options: {
      'client-state': { type: 'string', value: 'text', help: "replace the call's client state" },
      'max-duration': {
        type: 'string',
        value: 'duration',
        help: 'hang up this long after answer (default: the platform default)',
      },
      'inband-dtmf': { type: 'boolean', help: 'detect DTMF tones in the audio from the answer on' },
    },
    build: ([callId, legId], values) => ({
      kind: 'unary',
      method: 'answerLeg',
      request: {
        callId: callId!,
        legId: legId!,
        clientState: str(values, 'client-state') ?? '',
        maxDurationMs: durationOr0(values, 'max-duration'),
        detectInbandDtmf: values['inband-dtmf'] === true,
      },
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
    build: ([callId, legId, source], values, context) => ({
      kind: 'unary',
      method: 'playMedia',
      request: {
        callId: callId!,
        legId: legId!,
        media: /^https?:\/\//i.test(source!)
          ? { $case: 'url', url: source! }
          : { $case: 'fileId', fileId: source! },
        repeat: repeatOf(values),
        idempotencyKey: keyOf(values, context),
      },
    }),
  },
  say: {
    args: ['call', 'leg', 'text...'],
    summary: 'speak the words after <leg> (SSML with --ssml) to an answered leg',
    options: {
      ...SPEECH_OPTIONS,
      ssml: { type: 'boolean', help: 'the text is SSML (<speak>...</speak>)' },
      repeat: { type: 'string', value: 'n', help: 'times to say it in a row (default 1)' },
      key: KEY_OPTION,
    },
    build: ([callId, legId, text], values, context) => ({
      kind: 'unary',
      method: 'say',
      request: {
        callId: callId!,
        legId: legId!,
        speech: speechOf(text!, values, values.ssml === true),
        repeat: repeatOf(values),
        idempotencyKey: keyOf(values, context),
      },
    }),
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
      prompt: {
        type: 'string',
        multiple: true,
        value: 'url|file:id|say:text',
        help: 'play before collecting, in order (repeat it, up to 10)',
      },
      'barge-in': { type: 'boolean', help: 'the first digit stops the prompts' },
      ...SPEECH_OPTIONS,
      key: KEY_OPTION,
    },
    build: ([callId, legId], values, context) => {
      const maxDigits = str(values, 'max-digits');
      const terminators = str(values, 'terminators') ?? '';
      if (!/^[0-9*#A-D]*$/.test(terminators))
        throw new UsageError(`--terminators: keys are 0-9 * # A-D (got "${terminators}")`, 'collect');
      const prompts = list(values, 'prompt').map((text) => promptOf(text, values));
      if (prompts.length > MAX_PROMPTS)
        throw new UsageError(`--prompt: at most ${MAX_PROMPTS} (got ${prompts.length})`, 'collect');
      if (values['barge-in'] && prompts.length === 0)
        throw new UsageError('--barge-in needs a --prompt to stop', 'collect');
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
          prompts,
          bargeIn: values['barge-in'] === true,
        },
      };
    },
  },
  dtmf: {
    args: ['call', 'leg', 'digits'],
    summary: 'send DTMF digits (0-9 * # A-D) to a leg; prints how they went',
    options: {
      duration: { type: 'string', value: 'duration', help: 'length of each tone, 40ms-2s (default 100ms)' },
      key: KEY_OPTION,
    },
    build: ([callId, legId, typed], values, context) => {
      // Checked here as the proto documents it, so a typo costs no round trip (and no leg state).
      const digits = typed!.toUpperCase();
      if (!DTMF_KEYS.test(digits)) throw new UsageError(`<digits>: keys are 0-9 * # A-D (got "${typed}")`);
      if (digits.length > MAX_DTMF_DIGITS)
        throw new UsageError(`<digits>: at most ${MAX_DTMF_DIGITS} keys (got ${digits.length})`);
      const durationMs = durationOr0(values, 'duration');
      if (
        str(values, 'duration') !== undefined &&
        (durationMs < DTMF_TONE_MS.min || durationMs > DTMF_TONE_MS.max)
      )
        throw new UsageError(`--duration: expected 40ms-2s (got "${str(values, 'duration')}")`);
      return {
        kind: 'unary',
        method: 'sendDtmf',
        request: {
          callId: callId!,
          legId: legId!,
          digits,
          durationMs,
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  monitor: {
    args: ['call', 'supervisor-uri'],
    summary: 'dial a supervisor who listens to the call (or whispers to a leg, or barges in)',
    options: {
      mode: MODE_OPTION,
      'whisper-leg': WHISPER_LEG_OPTION,
      from: { type: 'string', value: 'sip-uri', help: "From URI (default: the call's first leg's)" },
      'ring-timeout': {
        type: 'string',
        value: 'duration',
        help: 'stop if not answered by then (default 30s)',
      },
      key: KEY_OPTION,
    },
    build: ([callId, supervisorUri], values, context) => ({
      kind: 'unary',
      method: 'monitorCall',
      request: {
        callId: callId!,
        supervisorUri: supervisorUri!,
        ...monitorModeOf(values, 'monitor', callEvents.MonitorMode.MONITOR_MODE_LISTEN),
        fromUri: str(values, 'from') ?? '',
        ringTimeoutMs: durationOr0(values, 'ring-timeout'),
        idempotencyKey: keyOf(values, context),
      },
    }),
  },
  'monitor-mode': {
    args: ['call', 'monitor', 'listen|whisper|barge'],
    summary: 'switch a monitor between listening, whispering to a leg and barging in',
    options: { 'whisper-leg': WHISPER_LEG_OPTION },
    build: ([callId, monitorId, mode], values) => ({
      kind: 'unary',
      method: 'setMonitorMode',
      request: {
        callId: callId!,
        monitorId: monitorId!,
        ...monitorModeOf({ ...values, mode }, 'monitor-mode', undefined),
      },
    }),
  },
  'monitor-stop': {
    args: ['call', 'monitor'],
    summary: 'end a monitor and hang its supervisor up (the call goes on)',
    options: {},
    build: ([callId, monitorId]) => ({
      kind: 'unary',
      method: 'stopMonitor',
      request: { callId: callId!, monitorId: monitorId! },
    }),
  },
  'add-participant': {
    args: ['call', 'target'],
    summary: 'dial a third party into the call (full: everybody hears everybody; listen: it only hears)',
    options: {
      mode: { type: 'string', value: 'full|listen', help: 'default full' },
      from: { type: 'string', value: 'sip-uri', help: "From URI (default: the call's first leg's)" },
      'ring-timeout': {
        type: 'string',
        value: 'duration',
        help: 'give up if not answered by then (default 30s)',
      },
      key: KEY_OPTION,
    },
    build: ([callId, target], values, context) => {
      const word = str(values, 'mode') ?? 'full';
      const mode = PARTICIPANT_MODES[word];
      if (mode === undefined)
        throw new UsageError(`expected full or listen (got "${word}")`, 'add-participant');
      return {
        kind: 'unary',
        method: 'addParticipant',
        request: {
          callId: callId!,
          target: target!,
          mode,
          fromUri: str(values, 'from') ?? '',
          ringTimeoutMs: durationOr0(values, 'ring-timeout'),
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  'remove-participant': {
    args: ['call', 'participant'],
    summary: 'hang a participant up; the call is two-party again',
    options: {},
    build: ([callId, participantId]) => ({
      kind: 'unary',
      method: 'removeParticipant',
      request: { callId: callId!, participantId: participantId! },
    }),
  },
  transfer: {
    args: ['call', 'leg', 'target'],
    summary:
      'blind transfer of a leg to a SIP URI or number (REFER to its phone, or --bridge: the platform dials)',
    options: {
      bridge: { type: 'boolean', help: 'the platform dials the target and bridges it (default: REFER)' },
      from: { type: 'string', value: 'sip-uri', help: "--bridge: From URI (default: the leg's own party)" },
      'target-timeout': {
        type: 'string',
        value: 'duration',
        help: 'how long the target may ring (--bridge, 30s) or the REFER may take (60s)',
      },
      'release-on-failure': { type: 'boolean', help: '--bridge: hang the leg up when the target fails' },
      key: KEY_OPTION,
    },
    build: ([callId, legId, target], values, context) => ({
      kind: 'unary',
      method: 'transferLeg',
      request: {
        callId: callId!,
        legId: legId!,
        target: target!,
        mode:
          values.bridge === true
            ? callEvents.TransferMode.TRANSFER_MODE_BRIDGE
            : callEvents.TransferMode.TRANSFER_MODE_REFER,
        fromUri: str(values, 'from') ?? '',
        timeoutMs: durationOr0(values, 'target-timeout'),
        releaseOnFailure: values['release-on-failure'] === true,
        idempotencyKey: keyOf(values, context),
      },
    }),
  },
  consult: {
    args: ['call', 'held-leg', 'target'],
    summary: 'attended transfer: hold a leg and call a target for its bridged peer to talk to',
    options: {
      music: MUSIC_OPTION,
      ...SPEECH_OPTIONS,
      from: { type: 'string', value: 'sip-uri', help: "From URI (default: the transferor's platform side)" },
      'ring-timeout': { type: 'string', value: 'duration', help: 'give up if not answered by then (30s)' },
      key: KEY_OPTION,
    },
    build: ([callId, heldLegId, target], values, context) => {
      const music = str(values, 'music');
      return {
        kind: 'unary',
        method: 'startConsultation',
        request: {
          callId: callId!,
          heldLegId: heldLegId!,
          target: target!,
          fromUri: str(values, 'from') ?? '',
          ringTimeoutMs: durationOr0(values, 'ring-timeout'),
          ...(music === undefined ? {} : { music: promptOf(music, values, '--music') }),
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  'complete-transfer': transferCall(
    'completeTransfer',
    'end a consultation by transferring: the held leg and the target talk, the transferor leaves',
  ),
  'cancel-consultation': transferCall(
    'cancelConsultation',
    'end a consultation without transferring: the target is hung up, the held leg is back',
  ),
  'decide-transfer': {
    args: ['call', 'transfer', 'accept|decline'],
    summary: "answer a phone's REFER waiting for the application (REFER_POLICY=ask)",
    options: {
      status: {
        type: 'string',
        value: 'code',
        help: 'decline: the final status the phone hears (default 603)',
      },
    },
    build: ([callId, transferId, answer], values) => {
      if (answer !== 'accept' && answer !== 'decline')
        throw new UsageError(`expected accept or decline (got "${answer}")`, 'decide-transfer');
      return {
        kind: 'unary',
        method: 'decideTransfer',
        request: {
          callId: callId!,
          transferId: transferId!,
          accept: answer === 'accept',
          sipStatus:
            answer === 'decline' ? parseCount(str(values, 'status') ?? '603', '--status', 400, 699) : 0,
        },
      };
    },
  },
  'detect-dtmf': {
    args: ['call', 'leg', 'on|off'],
    summary: 'turn detection of DTMF tones in the audio on or off for a leg',
    options: {},
    build: ([callId, legId, onOff]) => {
      if (onOff !== 'on' && onOff !== 'off') throw new UsageError(`expected on or off (got "${onOff}")`);
      return {
        kind: 'unary',
        method: 'setDtmfDetection',
        request: { callId: callId!, legId: legId!, inband: onOff === 'on' },
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
  hold: {
    args: ['call', 'leg'],
    summary: 'put an answered leg on hold: music on a loop (--music), or silence',
    options: {
      music: MUSIC_OPTION,
      'to-peer': { type: 'boolean', help: 'the bridged peer hears the music too (else silence)' },
      ...SPEECH_OPTIONS,
      key: KEY_OPTION,
    },
    build: ([callId, legId], values, context) => {
      const music = str(values, 'music');
      if (values['to-peer'] && music === undefined) throw new UsageError('--to-peer needs --music', 'hold');
      return {
        kind: 'unary',
        method: 'holdLeg',
        request: {
          callId: callId!,
          legId: legId!,
          ...(music === undefined ? {} : { music: promptOf(music, values, '--music') }),
          musicToPeer: values['to-peer'] === true,
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  resume: {
    args: ['call', 'leg'],
    summary: 'take a leg off the hold `hold` put it on',
    options: {},
    build: ([callId, legId]) => ({
      kind: 'unary',
      method: 'resumeLeg',
      request: { callId: callId!, legId: legId! },
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
  'media upload': {
    args: ['file'],
    summary: 'upload a prompt (WAV, MP3, any audio ffmpeg reads); prints its id',
    options: {
      name: {
        type: 'string',
        value: 'name',
        help: "the file's name in the library (default: its base name)",
      },
    },
    build: ([path], values) => ({
      kind: 'upload',
      path: path!,
      name: str(values, 'name') ?? basename(path!),
    }),
  },
  'media list': {
    args: [],
    summary: 'list the media library, newest first',
    options: {
      'page-size': { type: 'string', value: 'n', help: 'files per page, 1-500 (default 100)' },
      'page-token': { type: 'string', value: 'token', help: 'the next page, from the previous list' },
    },
    build: (_args, values) => {
      const pageSize = str(values, 'page-size');
      return {
        kind: 'media',
        method: 'listMedia',
        request: {
          pageSize: pageSize === undefined ? 0 : parseCount(pageSize, '--page-size', 1, 500),
          pageToken: str(values, 'page-token') ?? '',
        },
      };
    },
  },
  'media get': {
    args: ['media-id'],
    summary: 'show one file of the media library',
    options: {},
    build: ([mediaId]) => ({ kind: 'media', method: 'getMedia', request: { mediaId: mediaId! } }),
  },
  'media rm': {
    args: ['media-id'],
    summary: 'delete a file of the media library',
    options: {},
    build: ([mediaId]) => ({ kind: 'media', method: 'deleteMedia', request: { mediaId: mediaId! } }),
  },
  'record start': {
    args: ['call'],
    summary: "record a connected call's answered legs (caller left, callee right); prints its id",
    options: {
      mono: { type: 'boolean', help: 'one channel, the parties mixed (default: two channels)' },
      'max-duration': {
        type: 'string',
        value: 'duration',
        help: 'stop after this much recorded audio (default: until the call ends)',
      },
      beep: { type: 'boolean', help: 'play a beep to every answered leg first' },
      'pause-mode': {
        type: 'string',
        value: 'silence|cut',
        help: 'what a pause leaves in the file (default silence)',
      },
      key: KEY_OPTION,
    },
    build: ([callId], values, context) => {
      const mode = str(values, 'pause-mode');
      if (mode !== undefined && mode !== 'silence' && mode !== 'cut')
        throw new UsageError(`--pause-mode: expected silence or cut (got "${mode}")`);
      return {
        kind: 'unary',
        method: 'startRecording',
        request: {
          callId: callId!,
          channels: values.mono
            ? callEvents.RecordingChannels.RECORDING_CHANNELS_MONO
            : callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
          maxDurationMs: durationOr0(values, 'max-duration'),
          beep: values.beep === true,
          pauseMode:
            mode === 'cut' ? callEvents.PauseMode.PAUSE_MODE_CUT : callEvents.PauseMode.PAUSE_MODE_SILENCE,
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  'record pause': recordingControl('pauseRecording', 'pause a recording (silence or nothing is written)'),
  'record resume': recordingControl('resumeRecording', 'resume a paused recording'),
  'record stop': recordingControl('stopRecording', 'stop a recording (it is then saved)'),
  'record leg': {
    args: ['call', 'leg'],
    summary: 'record what one answered leg says (a voicemail); prints its id',
    options: {
      beep: { type: 'boolean', help: 'play a beep to the leg first' },
      'max-length': { type: 'string', value: 'duration', help: 'longest segment, up to 1h (default 2m)' },
      'silence-timeout': {
        type: 'string',
        value: 'duration',
        help: 'end after this much silence (default 5s)',
      },
      terminator: { type: 'string', value: 'key', help: 'a key (0-9 * #) that ends it (default: none)' },
      key: KEY_OPTION,
    },
    build: ([callId, legId], values, context) => {
      const maxLengthMs = durationOr0(values, 'max-length');
      if (maxLengthMs > MAX_SEGMENT_MS)
        throw new UsageError(`--max-length: at most 1h (got "${str(values, 'max-length')}")`);
      const terminator = str(values, 'terminator') ?? '';
      if (terminator && !TERMINATOR_KEYS.test(terminator))
        throw new UsageError(`--terminator: expected one key of 0-9 * # (got "${terminator}")`);
      return {
        kind: 'unary',
        method: 'recordLeg',
        request: {
          callId: callId!,
          legId: legId!,
          beep: values.beep === true,
          maxLengthMs,
          silenceTimeoutMs: durationOr0(values, 'silence-timeout'),
          terminator,
          idempotencyKey: keyOf(values, context),
        },
      };
    },
  },
  'recordings list': {
    args: [],
    summary: 'list recordings, newest first',
    options: { call: { type: 'string', value: 'call', help: 'only those of this call' }, ...PAGE_OPTIONS },
    build: (_args, values) => ({
      kind: 'recordings',
      method: 'listRecordings',
      request: { callId: str(values, 'call') ?? '', ...pageOf(values) },
    }),
  },
  'recordings get': {
    args: ['recording-id'],
    summary: 'show one recording, its parts and pauses',
    options: {},
    build: ([recordingId]) => ({
      kind: 'recordings',
      method: 'getRecording',
      request: { recordingId: recordingId! },
    }),
  },
  'recordings download': {
    args: ['recording-id'],
    summary: "write a recording's WAV file (one part) to a local file",
    options: {
      part: { type: 'string', value: 'n', help: 'which part, 1, 2, ... (default 1)' },
      out: { type: 'string', value: 'file', short: 'o', help: 'the file to write (required)' },
    },
    build: ([recordingId], values) => {
      const out = str(values, 'out');
      if (!out) throw new UsageError('missing --out <file> (-o)');
      const part = str(values, 'part');
      return {
        kind: 'download',
        request: {
          recordingId: recordingId!,
          part: part === undefined ? 0 : parseCount(part, '--part', 1, 10_000),
        },
        out,
      };
    },
  },
  'recordings rm': {
    args: ['recording-id'],
    summary: "delete a saved or failed recording's files",
    options: {},
    build: ([recordingId]) => ({
      kind: 'recordings',
      method: 'deleteRecording',
      request: { recordingId: recordingId! },
    }),
  },
  ...STREAM_COMMANDS,
  ...CALLBACK_COMMANDS,
  ...PROVISIONING_COMMANDS,
};

/**
 * Commands of two words (`media upload`): the first word, with the second words it takes. Read from the
 * table, so adding `media foo` there is all it takes.
 */
export const COMMAND_GROUPS: ReadonlyMap<string, string[]> = Object.keys(COMMANDS).reduce((groups, name) => {
  const [group, sub] = name.split(' ');
  if (sub) groups.set(group!, [...(groups.get(group!) ?? []), sub]);
  return groups;
}, new Map<string, string[]>());

/** Every command name, in the order the help lists them. */
export const COMMAND_NAMES = Object.keys(COMMANDS);
