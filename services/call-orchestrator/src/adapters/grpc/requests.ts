// CallControl requests -> domain commands. Checks what only the wire can get wrong (missing ids, URIs
// that do not parse, oversized client_state) and stamps the metadata: `now`, and the new id, which for
// requests with an idempotency key derives from the key so a retry after a crash asks for the same id.
import type { callControl } from '@callctl/proto';
import { parseUri } from '@callctl/sip';
import type { CallCommand, CommandMetadata } from '../../domain/call.commands.js';
import { ValidationError } from '../../domain/errors.js';
import { DEFAULT_RING_TIMEOUT_MS } from '../../app/command-effects.js';
import type { Clock, IdSource } from '../../app/ports.js';
import { requestFingerprint, type MediaChoice, type Resolved } from '../../app/media-sources.js';
import { callEvents as callEventsEnum, type callEvents } from '@callctl/proto';
import { checkSentDigits, DEFAULT_DTMF_DURATION_MS } from '../../domain/capabilities/digits/dtmf.decide.js';
import { MAX_PROMPTS } from '../../domain/capabilities/digits/digits.decide.js';
import {
  MAX_SEGMENT_LENGTH_MS,
  TERMINATOR_KEYS,
} from '../../domain/capabilities/recordings/recordings.decide.js';
import { MAX_SIPREC_HEADERS, MAX_SRS_URIS } from '../../domain/capabilities/siprec/siprec.decide.js';
import { isDialledNumber } from '../../domain/capabilities/legs/dial-target.js';

const { RecordingChannels, PauseMode } = callEventsEnum;
/** 0 is the proto's default (DUAL, SILENCE); a value this build does not know is refused. */
const KNOWN_CHANNELS: ReadonlySet<number> = new Set([
  0,
  RecordingChannels.RECORDING_CHANNELS_MONO,
  RecordingChannels.RECORDING_CHANNELS_DUAL,
]);
const KNOWN_PAUSE_MODES: ReadonlySet<number> = new Set([
  0,
  PauseMode.PAUSE_MODE_SILENCE,
  PauseMode.PAUSE_MODE_CUT,
]);

/** proto: client_state is up to 4096 bytes. */
export const MAX_CLIENT_STATE_BYTES = 4096;
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
/** The ids MediaLibrary.UploadMedia gives: `ml-` and 32 hex digits. Other file ids name files. */
export const LIBRARY_ID = /^ml-[0-9a-f]{32}$/;
/** proto Speech: text up to 3000 characters, SSML up to 6000 with markup. */
export const MAX_SPEECH_TEXT = 3000;
export const MAX_SPEECH_SSML = 6000;

export interface Stamp {
  clock: Clock;
  ids: IdSource;
  /** The platform's maximum call duration for requests that set none (ms, 0 = no limit). @default 0 */
  defaultMaxDurationMs?: number;
}

/** A request whose media must be resolved first (speech synthesized, library ids looked up). */
export interface MediaRequest {
  callId: string;
  /** What to resolve, in order. */
  choices: MediaChoice[];
  /** The command, once `choices` are resolved (same order). */
  command(resolved: readonly Resolved[]): CallCommand;
}

export interface CallRequest {
  callId: string;
  command: CallCommand;
}

function required(value: string, field: string): string {
  if (!value) throw new ValidationError(`${field} is required`);
  return value;
}

const SIP_SCHEMES: ReadonlySet<string> = new Set(['sip', 'sips']);
const DIAL_SCHEMES: ReadonlySet<string> = new Set(['sip', 'sips', 'tel']);

/** A URI that parses, of one of `schemes` (`what` names them in the refusal). */
function uriOf(value: string, field: string, schemes: ReadonlySet<string>, what: string): string {
  required(value, field);
  let scheme: string;
  try {
    scheme = parseUri(value).scheme;
  } catch (error) {
    throw new ValidationError(
      `${field} is not a valid ${what}: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  if (!schemes.has(scheme))
    throw new ValidationError(
      `${field} must be a ${[...schemes].map((s) => `${s}:`).join(' or ')} URI, got "${value}"`,
    );
  return value;
}

const sipUri = (value: string, field: string) => uriOf(value, field, SIP_SCHEMES, 'SIP URI');

/**
 * A CreateCall/Dial destination: a number (+E.164 or digits, routed by sip-edge's dial plan) as given, or a
 * sip:, sips: or tel: URI that parses (a platform user is a SIP URI of a platform domain).
 */
const dialUri = (value: string, field: string) =>
  isDialledNumber(value) ? value : uriOf(value, field, DIAL_SCHEMES, 'number, SIP URI or tel: URI');

function clientState(value: string): string {
  if (Buffer.byteLength(value) > MAX_CLIENT_STATE_BYTES)
    throw new ValidationError(`client_state is larger than ${MAX_CLIENT_STATE_BYTES} bytes`);
  return value;
}

const meta = (s: Stamp, newId: string, idempotencyKey?: string): CommandMetadata => ({
  now: s.clock(),
  newId,
  ...(idempotencyKey ? { idempotencyKey } : {}),
});
/** The id a keyed request creates: the same key on the same call gives the same id. */
const keyed = (s: Stamp, callId: string, kind: string, key: string) =>
  meta(s, s.ids.fromName(callId, kind, key), key);

export function createCall(r: callControl.CreateCallRequest, s: Stamp): CallRequest {
  const key = required(r.idempotencyKey, 'idempotency_key');
  // The call id comes from the key: a replay finds the first call's stream and is answered from it.
  const callId = s.ids.fromName('call', key);
  return {
    callId,
    command: {
      type: 'CreateCall',
      data: {
        callId,
        toUri: dialUri(r.toUri, 'to_uri'),
        fromUri: sipUri(r.fromUri, 'from_uri'),
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
        maxDurationMs: r.maxDurationMs || (s.defaultMaxDurationMs ?? 0),
        clientState: clientState(r.clientState),
      },
      metadata: keyed(s, callId, 'leg', key),
    },
  };
}

export function answerLeg(r: callControl.AnswerLegRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'AnswerLeg',
      data: {
        legId: required(r.legId, 'leg_id'),
        clientState: clientState(r.clientState) || undefined,
        // 0: the platform default; it applies to inbound calls as CreateCall's does to outbound ones.
        maxDurationMs: r.maxDurationMs || (s.defaultMaxDurationMs ?? 0),
        detectInbandDtmf: r.detectInbandDtmf,
      },
      metadata: meta(s, s.ids.next()),
    },
  };
}

export function rejectLeg(r: callControl.RejectLegRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'RejectLeg',
      data: { legId: required(r.legId, 'leg_id'), sipStatus: r.sipStatus, reason: r.reason },
      metadata: meta(s, s.ids.next()),
    },
  };
}

export function hangup(r: callControl.HangupRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: { type: 'Hangup', data: { legId: r.legId || undefined }, metadata: meta(s, s.ids.next()) },
  };
}

type MediaOneof = callControl.PlayMediaRequest['media'] | NonNullable<callControl.Prompt['media']>;

function httpUrl(url: string, field: string): string {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new ValidationError(`${field} must be an http(s) URL, got "${url}"`);
  return url;
}

function fileChoice(fileId: string, field: string): MediaChoice {
  if (LIBRARY_ID.test(fileId)) return { kind: 'library', mediaId: fileId };
  if (!FILE_ID.test(fileId))
    throw new ValidationError(
      `${field} "${fileId}" is not a file id (a media library id or the name of a file in the media files directory)`,
    );
  return { kind: 'file', name: fileId };
}

/** Checks text or SSML (present, within its limit) before anything is synthesized. */
export function speech(sp: callControl.Speech | undefined, field: string): MediaChoice {
  const input = sp?.input;
  const common = { provider: sp?.provider ?? '', voice: sp?.voice ?? '', language: sp?.language ?? '' };
  if (input?.$case === 'text') {
    if (!input.text.trim()) throw new ValidationError(`${field}.text is empty`);
    if (input.text.length > MAX_SPEECH_TEXT)
      throw new ValidationError(
        `${field}.text is ${input.text.length} characters; at most ${MAX_SPEECH_TEXT}`,
      );
    return { kind: 'speech', speech: { ...common, text: input.text } };
  }
  if (input?.$case === 'ssml') {
    if (!input.ssml.trim()) throw new ValidationError(`${field}.ssml is empty`);
    if (input.ssml.length > MAX_SPEECH_SSML)
      throw new ValidationError(
        `${field}.ssml is ${input.ssml.length} characters; at most ${MAX_SPEECH_SSML}`,
      );
    return { kind: 'speech', speech: { ...common, ssml: input.ssml } };
  }
  throw new ValidationError(`${field}.text or ${field}.ssml is required`);
}

function mediaChoice(media: MediaOneof, field: string): MediaChoice {
  if (media?.$case === 'url') return { kind: 'url', url: httpUrl(media.url, `${field}url`) };
  if (media?.$case === 'fileId') return fileChoice(media.fileId, `${field}file_id`);
  if (media?.$case === 'say') return speech(media.say, `${field}say`);
  throw new ValidationError(`${field ? `${field}url, file_id or say` : 'url or file_id'} is required`);
}

/** A playback's command; its request fingerprint is of the choice as asked, not as resolved. */
const playCommand = (
  legId: string,
  repeat: number,
  choice: MediaChoice,
  metadata: CommandMetadata,
  [played]: readonly Resolved[],
): CallCommand => ({
  type: 'PlayMedia',
  data: {
    legId,
    mediaUri: played!.mediaUri,
    repeat,
    media: played!.media,
    requestFingerprint: requestFingerprint([choice], { repeat: repeat || 1 }),
  },
  metadata,
});

export function playMedia(r: callControl.PlayMediaRequest, s: Stamp): MediaRequest {
  const callId = required(r.callId, 'call_id');
  const legId = required(r.legId, 'leg_id');
  const choice = mediaChoice(r.media, '');
  const metadata = keyed(s, callId, 'play', r.idempotencyKey);
  return {
    callId,
    choices: [choice],
    command: (resolved) => playCommand(legId, r.repeat, choice, metadata, resolved),
  };
}

/** Say: a playback of synthesized speech (PlayMedia once the tts service has spoken). */
export function say(r: callControl.SayRequest, s: Stamp): MediaRequest {
  const callId = required(r.callId, 'call_id');
  const legId = required(r.legId, 'leg_id');
  const choice = speech(r.speech, 'speech');
  const metadata = keyed(s, callId, 'say', required(r.idempotencyKey, 'idempotency_key'));
  return {
    callId,
    choices: [choice],
    command: (resolved) => playCommand(legId, r.repeat, choice, metadata, resolved),
  };
}

export function stopMedia(r: callControl.StopMediaRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'StopMedia',
      data: { playbackId: required(r.playbackId, 'playback_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}

export function collectDigits(r: callControl.CollectDigitsRequest, s: Stamp): MediaRequest {
  const callId = required(r.callId, 'call_id');
  const legId = required(r.legId, 'leg_id');
  if (r.prompts.length > MAX_PROMPTS)
    throw new ValidationError(`at most ${MAX_PROMPTS} prompts, got ${r.prompts.length}`);
  const choices = r.prompts.map((p, i) => mediaChoice(p.media, `prompts[${i}].`));
  const metadata = keyed(s, callId, 'collect', r.idempotencyKey);
  return {
    callId,
    choices,
    command: (resolved) => ({
      type: 'CollectDigits',
      data: {
        legId,
        maxDigits: r.maxDigits,
        terminators: r.terminators,
        firstDigitTimeoutMs: r.firstDigitTimeoutMs,
        interDigitTimeoutMs: r.interDigitTimeoutMs,
        prompts: resolved.map((p) => ({ mediaUri: p.mediaUri, ...p.media })),
        bargeIn: r.bargeIn,
        requestFingerprint: requestFingerprint(choices),
      },
      metadata,
    }),
  };
}

/** HoldLeg: its music (a Prompt) resolved like a playback's; none is silence. */
export function holdLeg(r: callControl.HoldLegRequest, s: Stamp): MediaRequest {
  const callId = required(r.callId, 'call_id');
  const legId = required(r.legId, 'leg_id');
  const choices = r.music ? [mediaChoice(r.music.media, 'music.')] : [];
  const metadata = keyed(s, callId, 'hold', required(r.idempotencyKey, 'idempotency_key'));
  return {
    callId,
    choices,
    command: ([music]) => ({
      type: 'HoldLeg',
      data: { legId, musicUri: music?.mediaUri ?? '', musicToPeer: r.musicToPeer },
      metadata,
    }),
  };
}

export function sendDtmf(r: callControl.SendDtmfRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  const durationMs = r.durationMs || DEFAULT_DTMF_DURATION_MS;
  checkSentDigits(r.digits, durationMs);
  return {
    callId,
    command: {
      type: 'SendDtmf',
      data: { legId: required(r.legId, 'leg_id'), digits: r.digits, durationMs },
      metadata: keyed(s, callId, 'dtmf', required(r.idempotencyKey, 'idempotency_key')),
    },
  };
}

export function setDtmfDetection(r: callControl.SetDtmfDetectionRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'SetDtmfDetection',
      data: { legId: required(r.legId, 'leg_id'), inband: r.inband },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/** SendDtmf's answer from the method DtmfSent recorded (a replay: the name its key remembered). */
export const dtmfMethodOf = (name: string): callEvents.DtmfMethod => callEventsEnum.dtmfMethodFromJSON(name);

/** A request naming only a leg, without a key: StartEcho, StopEcho, ResumeLeg. */
export function legRequest(
  type: 'StartEcho' | 'StopEcho' | 'ResumeLeg',
  r: { callId: string; legId: string },
  s: Stamp,
): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: { type, data: { legId: required(r.legId, 'leg_id') }, metadata: meta(s, s.ids.next()) },
  };
}

export function bridgeLegs(r: callControl.BridgeLegsRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  return {
    callId,
    command: {
      type: 'BridgeLegs',
      data: { legAId: required(r.legAId, 'leg_a_id'), legBId: required(r.legBId, 'leg_b_id') },
      metadata: keyed(s, callId, 'bridge', r.idempotencyKey),
    },
  };
}

export function dial(r: callControl.DialRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  return {
    callId,
    command: {
      type: 'Dial',
      data: {
        bridgeWithLegId: r.bridgeWithLegId,
        toUri: dialUri(r.toUri, 'to_uri'),
        // Optional here: sip-edge puts the platform's default From on the INVITE.
        fromUri: r.fromUri ? sipUri(r.fromUri, 'from_uri') : '',
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
      },
      metadata: keyed(s, callId, 'dial', r.idempotencyKey),
    },
  };
}

/**
 * MonitorCall: the monitor id and the supervisor's leg id derive from the key, so a retry after a crash asks
 * for the same ones. A supervisor given as a number is turned into a URI by decide (it knows the call).
 */
export function monitorCall(r: callControl.MonitorCallRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  const key = required(r.idempotencyKey, 'idempotency_key');
  const uri = required(r.supervisorUri, 'supervisor_uri');
  return {
    callId,
    command: {
      type: 'MonitorCall',
      data: {
        supervisorUri: /^\+?[0-9]+$/.test(uri) ? uri : sipUri(uri, 'supervisor_uri'),
        mode: r.mode,
        whisperLegId: r.whisperLegId,
        fromUri: r.fromUri ? sipUri(r.fromUri, 'from_uri') : '',
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
        supervisorLegId: s.ids.fromName(callId, 'monitor-leg', key),
      },
      metadata: keyed(s, callId, 'monitor', key),
    },
  };
}

export function setMonitorMode(r: callControl.SetMonitorModeRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'SetMonitorMode',
      data: { monitorId: required(r.monitorId, 'monitor_id'), mode: r.mode, whisperLegId: r.whisperLegId },
      metadata: meta(s, s.ids.next()),
    },
  };
}

export function stopMonitor(r: callControl.StopMonitorRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'StopMonitor',
      data: { monitorId: required(r.monitorId, 'monitor_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/**
 * AddParticipant: the participant id and its leg id derive from the key, so a retry after a crash asks for
 * the same ones. A target given as a number is turned into a URI by decide (it knows the call).
 */
export function addParticipant(
  r: callControl.AddParticipantRequest,
  s: Stamp,
): CallRequest & { participantLegId: string } {
  const callId = required(r.callId, 'call_id');
  const key = required(r.idempotencyKey, 'idempotency_key');
  const target = required(r.target, 'target');
  const participantLegId = s.ids.fromName(callId, 'participant-leg', key);
  return {
    callId,
    participantLegId,
    command: {
      type: 'AddParticipant',
      data: {
        target: /^\+?[0-9]+$/.test(target) ? target : sipUri(target, 'target'),
        mode: r.mode,
        fromUri: r.fromUri ? sipUri(r.fromUri, 'from_uri') : '',
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
        participantLegId,
      },
      metadata: keyed(s, callId, 'participant', key),
    },
  };
}

export function removeParticipant(r: callControl.RemoveParticipantRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'RemoveParticipant',
      data: { participantId: required(r.participantId, 'participant_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/**
 * The recording a StartRecording or RecordLeg creates: `rec-` and 32 hex digits, from the key when given
 * (a retry asks for the same id, and decide answers the first one's), random otherwise.
 */
function recordingMeta(s: Stamp, callId: string, kind: string, key: string): CommandMetadata {
  return key ? keyed(s, callId, kind, key) : meta(s, s.ids.next());
}

export function startRecording(r: callControl.StartRecordingRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  if (!KNOWN_CHANNELS.has(r.channels))
    throw new ValidationError(`channels must be MONO or DUAL (0 = DUAL), got ${r.channels}`);
  if (!KNOWN_PAUSE_MODES.has(r.pauseMode))
    throw new ValidationError(`pause_mode must be SILENCE or CUT (0 = SILENCE), got ${r.pauseMode}`);
  return {
    callId,
    command: {
      type: 'StartRecording',
      data: { channels: r.channels, maxDurationMs: r.maxDurationMs, beep: r.beep, pauseMode: r.pauseMode },
      metadata: recordingMeta(s, callId, 'recording', r.idempotencyKey),
    },
  };
}

export function recordLeg(r: callControl.RecordLegRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  if (r.maxLengthMs > MAX_SEGMENT_LENGTH_MS)
    throw new ValidationError(`max_length_ms must be at most ${MAX_SEGMENT_LENGTH_MS}, got ${r.maxLengthMs}`);
  if (r.terminator && (r.terminator.length !== 1 || !TERMINATOR_KEYS.includes(r.terminator)))
    throw new ValidationError(`terminator must be one key of ${TERMINATOR_KEYS}, got "${r.terminator}"`);
  return {
    callId,
    command: {
      type: 'RecordLeg',
      data: {
        legId: required(r.legId, 'leg_id'),
        beep: r.beep,
        maxLengthMs: r.maxLengthMs,
        silenceTimeoutMs: r.silenceTimeoutMs,
        terminator: r.terminator,
      },
      metadata: recordingMeta(s, callId, 'segment', r.idempotencyKey),
    },
  };
}

export function recordingControl(
  type: 'PauseRecording' | 'ResumeRecording' | 'StopRecording',
  r:
    callControl.PauseRecordingRequest | callControl.ResumeRecordingRequest | callControl.StopRecordingRequest,
  s: Stamp,
): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type,
      data: { recordingId: required(r.recordingId, 'recording_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/** RFC 3261 token characters after `X-`: the only header names StartSiprec adds to the INVITE. */
const SIPREC_HEADER_NAME = /^X-[A-Za-z0-9.!%*_+`'~-]+$/i;
/** proto StartSiprecRequest: header values up to 256 characters. */
export const MAX_SIPREC_HEADER_VALUE = 256;

/** The SRSs (1 to 5 sip:/sips: URIs) and X- headers (≤ 5, unique names, printable values) of a SIPREC. */
function siprecHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const names = Object.keys(headers);
  if (names.length > MAX_SIPREC_HEADERS)
    throw new ValidationError(`at most ${MAX_SIPREC_HEADERS} headers, got ${names.length}`);
  const seen = new Set<string>();
  for (const name of names) {
    if (!SIPREC_HEADER_NAME.test(name))
      throw new ValidationError(`header name "${name}" is not X- followed by SIP token characters`);
    if (seen.has(name.toLowerCase())) throw new ValidationError(`header ${name} is given twice`);
    seen.add(name.toLowerCase());
    const value = headers[name]!;
    if (value.length > MAX_SIPREC_HEADER_VALUE)
      throw new ValidationError(`header ${name} is longer than ${MAX_SIPREC_HEADER_VALUE} characters`);
    // CR or LF would end the header and let the value write SIP of its own.
    if ([...value].some(isControl))
      throw new ValidationError(`header ${name} holds a control character (CR, LF, ...)`);
  }
  return { ...headers };
}

/** C0 controls but TAB, and DEL. */
const isControl = (ch: string): boolean => {
  const code = ch.charCodeAt(0);
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
};

/** StartSiprec: the siprec id derives from the key when given, as a recording's does. */
export function startSiprec(r: callControl.StartSiprecRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  if (r.srsUris.length < 1 || r.srsUris.length > MAX_SRS_URIS)
    throw new ValidationError(`srs_uris must hold 1 to ${MAX_SRS_URIS} SIP URIs, got ${r.srsUris.length}`);
  const srsUris = r.srsUris.map((uri, i) => sipUri(uri, `srs_uris[${i}]`));
  return {
    callId,
    command: {
      type: 'StartSiprec',
      data: {
        srsUris,
        headers: siprecHeaders(r.headers),
        ...(r.clientState ? { clientState: clientState(r.clientState) } : {}),
      },
      metadata: recordingMeta(s, callId, 'siprec', r.idempotencyKey),
    },
  };
}

export function siprecControl(
  type: 'PauseSiprec' | 'ResumeSiprec' | 'StopSiprec',
  r: callControl.PauseSiprecRequest | callControl.ResumeSiprecRequest | callControl.StopSiprecRequest,
  s: Stamp,
): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: { type, data: { siprecId: required(r.siprecId, 'siprec_id') }, metadata: meta(s, s.ids.next()) },
  };
}

/**
 * What a transfer request names: its call, its key and the target (a SIP URI, or a number decide turns into
 * a URI at the leg's host), the fields TransferLeg and StartConsultation share.
 */
function transferTarget(r: { callId: string; idempotencyKey: string; target: string; fromUri: string }) {
  const target = required(r.target, 'target');
  return {
    callId: required(r.callId, 'call_id'),
    key: required(r.idempotencyKey, 'idempotency_key'),
    targetUri: /^\+?[0-9]+$/.test(target) ? target : sipUri(target, 'target'),
    fromUri: r.fromUri ? sipUri(r.fromUri, 'from_uri') : '',
  };
}

/**
 * TransferLeg: the transfer id and the target's leg id (BRIDGE) derive from the key, so a retry after a
 * crash asks for the same ones.
 */
export function transferLeg(
  r: callControl.TransferLegRequest,
  s: Stamp,
): CallRequest & { targetLegId: string } {
  const { callId, key, targetUri, fromUri } = transferTarget(r);
  const targetLegId =
    r.mode === callEventsEnum.TransferMode.TRANSFER_MODE_BRIDGE
      ? s.ids.fromName(callId, 'transfer-leg', key)
      : '';
  return {
    callId,
    targetLegId,
    command: {
      type: 'TransferLeg',
      data: {
        legId: required(r.legId, 'leg_id'),
        targetUri,
        mode: r.mode,
        fromUri,
        timeoutMs: r.timeoutMs,
        releaseOnFailure: r.releaseOnFailure,
        targetLegId,
      },
      metadata: keyed(s, callId, 'transfer', key),
    },
  };
}

export function decideTransfer(r: callControl.DecideTransferRequest, s: Stamp): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type: 'DecideTransfer',
      data: { transferId: required(r.transferId, 'transfer_id'), accept: r.accept, sipStatus: r.sipStatus },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/**
 * StartConsultation: the transfer id and the consultation leg's id derive from the key; the music is
 * resolved like HoldLeg's.
 */
export function startConsultation(
  r: callControl.StartConsultationRequest,
  s: Stamp,
): MediaRequest & { consultationLegId: string } {
  const { callId, key, targetUri, fromUri } = transferTarget(r);
  const consultationLegId = s.ids.fromName(callId, 'consultation-leg', key);
  const metadata = keyed(s, callId, 'transfer', key);
  return {
    callId,
    consultationLegId,
    choices: r.music ? [mediaChoice(r.music.media, 'music.')] : [],
    command: ([music]) => ({
      type: 'StartConsultation',
      data: {
        heldLegId: required(r.heldLegId, 'held_leg_id'),
        targetUri,
        fromUri,
        ringTimeoutMs: r.ringTimeoutMs,
        musicUri: music?.mediaUri ?? '',
        consultationLegId,
      },
      metadata,
    }),
  };
}

/** CompleteTransfer and CancelConsultation: a transfer of the call. */
export function consultationRequest(
  type: 'CompleteTransfer' | 'CancelConsultation',
  r: { callId: string; transferId: string },
  s: Stamp,
): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type,
      data: { transferId: required(r.transferId, 'transfer_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}

/**
 * StartStream: the stream id (`str-` and 32 hex digits) from the key when given, random otherwise. The
 * domain checks the URL, the encoding and rate and the custom parameters; the authorization only travels to
 * the stream gateway.
 */
export function startStream(r: callControl.StartStreamRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  return {
    callId,
    command: {
      type: 'StartStream',
      data: {
        legId: r.legId,
        url: required(r.url, 'url'),
        tracks: r.tracks,
        encoding: r.encoding,
        sampleRate: r.sampleRate,
        bidirectional: r.bidirectional,
        customParameters: { ...r.customParameters },
        authorization: r.authorization,
        clientState: clientState(r.clientState),
      },
      metadata: r.idempotencyKey ? keyed(s, callId, 'stream', r.idempotencyKey) : meta(s, s.ids.next()),
    },
  };
}

/** StopStream, PauseStream and ResumeStream: a stream of the call. */
export function streamControl(
  type: 'StopStream' | 'PauseStream' | 'ResumeStream',
  r: { callId: string; streamId: string },
  s: Stamp,
): CallRequest {
  return {
    callId: required(r.callId, 'call_id'),
    command: {
      type,
      data: { streamId: required(r.streamId, 'stream_id') },
      metadata: meta(s, s.ids.next()),
    },
  };
}
