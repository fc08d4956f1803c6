// CallControl requests -> domain commands. Checks what only the wire can get wrong (missing ids, URIs
// that do not parse, oversized client_state) and stamps the metadata: `now`, and the new id, which for
// requests with an idempotency key derives from the key so a retry after a crash asks for the same id.
import type { callControl } from '@callctl/proto';
import { parseUri } from '@callctl/sip';
import type { CallCommand, CommandMetadata } from '../../domain/call.commands.js';
import { ValidationError } from '../../domain/errors.js';
import { DEFAULT_RING_TIMEOUT_MS } from '../../app/command-effects.js';
import type { Clock, IdSource } from '../../app/ports.js';
import { FILE_PREFIX } from '../media/media-worker-client.js';

/** proto: client_state is up to 4096 bytes. */
export const MAX_CLIENT_STATE_BYTES = 4096;
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface Stamp {
  clock: Clock;
  ids: IdSource;
}

export interface CallRequest {
  callId: string;
  command: CallCommand;
}

function required(value: string, field: string): string {
  if (!value) throw new ValidationError(`${field} is required`);
  return value;
}

function sipUri(value: string, field: string): string {
  required(value, field);
  let scheme: string;
  try {
    scheme = parseUri(value).scheme;
  } catch (error) {
    throw new ValidationError(
      `${field} is not a valid SIP URI: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  if (scheme !== 'sip' && scheme !== 'sips')
    throw new ValidationError(`${field} must be a sip: or sips: URI, got "${value}"`);
  return value;
}

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
        toUri: sipUri(r.toUri, 'to_uri'),
        fromUri: sipUri(r.fromUri, 'from_uri'),
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
        maxDurationMs: r.maxDurationMs,
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
      data: { legId: required(r.legId, 'leg_id'), clientState: clientState(r.clientState) || undefined },
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

function mediaUri(r: callControl.PlayMediaRequest): string {
  const media = r.media;
  if (media?.$case === 'url') {
    let protocol = '';
    try {
      protocol = new URL(media.url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new ValidationError(`url must be an http(s) URL, got "${media.url}"`);
    return media.url;
  }
  if (media?.$case === 'fileId') {
    if (!FILE_ID.test(media.fileId))
      throw new ValidationError(
        `file_id "${media.fileId}" is not a file id (the name of a file in the media files directory)`,
      );
    return `${FILE_PREFIX}${media.fileId}`;
  }
  throw new ValidationError('url or file_id is required');
}

export function playMedia(r: callControl.PlayMediaRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  return {
    callId,
    command: {
      type: 'PlayMedia',
      data: { legId: required(r.legId, 'leg_id'), mediaUri: mediaUri(r), repeat: r.repeat },
      metadata: keyed(s, callId, 'play', r.idempotencyKey),
    },
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

export function collectDigits(r: callControl.CollectDigitsRequest, s: Stamp): CallRequest {
  const callId = required(r.callId, 'call_id');
  return {
    callId,
    command: {
      type: 'CollectDigits',
      data: {
        legId: required(r.legId, 'leg_id'),
        maxDigits: r.maxDigits,
        terminators: r.terminators,
        firstDigitTimeoutMs: r.firstDigitTimeoutMs,
        interDigitTimeoutMs: r.interDigitTimeoutMs,
      },
      metadata: keyed(s, callId, 'collect', r.idempotencyKey),
    },
  };
}

export function echo(
  type: 'StartEcho' | 'StopEcho',
  r: callControl.StartEchoRequest | callControl.StopEchoRequest,
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
        toUri: sipUri(r.toUri, 'to_uri'),
        // Optional here: sip-edge puts the platform's default From on the INVITE.
        fromUri: r.fromUri ? sipUri(r.fromUri, 'from_uri') : '',
        ringTimeoutMs: r.ringTimeoutMs || DEFAULT_RING_TIMEOUT_MS,
      },
      metadata: keyed(s, callId, 'dial', r.idempotencyKey),
    },
  };
}
