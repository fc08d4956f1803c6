// What a Session Recording Client puts in its INVITE to the recorder (RFC 7866 §6.1, §9.1), pure: the
// multipart/mixed body (the fork's SDP offer, then the rs-metadata), the headers that say it is SIPREC
// (`Require: siprec`, a Contact with the `+sip.src` feature tag), the SDP of the recorder's answer (plain, or
// the SDP part of a multipart answer), and what a failed INVITE means to the caller of StartRecordingSession.
import {
  mediaTypeOf,
  partHeader,
  readMultipart,
  RecordingMetadataError,
  writeMultipart,
  writeRecordingMetadata,
  type MultipartBody,
  type RecordingMetadata,
} from '@callctl/sip';
import { withDirection, type Direction } from './sdp-direction.js';
import { IllegalStateError, TimeoutError, UnavailableError, ValidationError } from './errors.js';

/** X- header names: `X-` and RFC 3261 token characters. */
const X_HEADER = /^X-[A-Za-z0-9\-.!%*_+`'~]+$/i;

/** The body of a recording session's INVITE or re-INVITE. */
export function recordingBody(sdp: string, metadata: RecordingMetadata): MultipartBody {
  let xml: string;
  try {
    xml = writeRecordingMetadata(metadata);
  } catch (error) {
    if (error instanceof RecordingMetadataError)
      throw new ValidationError(`metadata: ${error.message}`, {}, { cause: error });
    throw error;
  }
  return writeMultipart([
    {
      headers: [
        ['Content-Type', 'application/sdp'],
        ['Content-Disposition', 'session;handling=required'],
      ],
      body: sdp,
    },
    {
      headers: [
        ['Content-Type', 'application/rs-metadata+xml'],
        ['Content-Disposition', 'recording-session'],
      ],
      body: xml,
    },
  ]);
}

/**
 * The headers of a recording session's INVITE: the caller's X- headers (refused when not X- tokens or with
 * CR/LF in a value), then what makes it SIPREC. `contactUri`: the engine's own address for the SRS's
 * transport.
 */
export function recordingHeaders(
  contactUri: string,
  extra: Readonly<Record<string, string>>,
  contentType: string,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra)) {
    if (!X_HEADER.test(name)) throw new ValidationError(`header ${JSON.stringify(name)} is not an X- header`);
    if (/[\r\n]/.test(value)) throw new ValidationError(`header ${name} has a line break in its value`);
    headers[name] = value;
  }
  return {
    ...headers,
    Require: 'siprec',
    Contact: `<${contactUri}>;+sip.src`,
    Accept: 'application/sdp, application/rs-metadata, application/rs-metadata+xml',
    'MIME-Version': '1.0',
    'Content-Type': contentType,
  };
}

/**
 * The SDP of the recorder's answer. srf hands the body over without its Content-Type, so a multipart
 * answer is known by its first line (a delimiter) and read with the boundary that line names.
 */
export function sdpOfAnswer(body: string, contentType?: string): string {
  const firstLine = /^--([^\r\n]+?)[ \t]*\r?\n/.exec(body);
  const type = contentType ?? (firstLine ? `multipart/mixed;boundary="${firstLine[1]}"` : 'application/sdp');
  if (!mediaTypeOf(type).startsWith('multipart/')) return body;
  const sdp = readMultipart(type, body).find(
    (part) => mediaTypeOf(partHeader(part, 'content-type') ?? 'text/plain') === 'application/sdp',
  );
  if (!sdp) throw new ValidationError('the recorder answered with a multipart body without SDP');
  return sdp.body;
}

/** MediaDirection as sdp-direction names it, for UpdateRecordingSession. */
export type RecordingDirection = Extract<Direction, 'sendonly' | 'inactive' | 'sendrecv'>;

/**
 * What an INVITE to the recorder that got no 2xx means to the caller: its final status (FAILED_PRECONDITION
 * "SIP <status> <reason>"), no answer in time (DEADLINE_EXCEEDED "SIP 408"; a 408 from the engine's own
 * Timer B too), or nothing sent or an error without a status (UNAVAILABLE "SIP 503").
 */
export function recordingFailure(
  outcome: { status: number; reason: string } | { timeout: true } | { transport: string },
  context: { sessionId: string; callId?: string },
): Error {
  if ('timeout' in outcome) return new TimeoutError('SIP 408 no answer from the recorder in time', context);
  if ('transport' in outcome) return new UnavailableError(`SIP 503 ${outcome.transport}`.trim(), context);
  if (outcome.status === 408)
    return new TimeoutError(`SIP 408 ${outcome.reason || 'Request Timeout'}`.trim(), context);
  return new IllegalStateError(`SIP ${outcome.status} ${outcome.reason}`.trim(), context);
}

const originOf = (sdp: string) => /^o=.*$/m.exec(sdp)?.[0];
const withoutOrigin = (sdp: string) => sdp.replace(/^o=.*(\r?\n)?/m, '');

/**
 * The offer of a re-INVITE to the recorder, after `previous` (RFC 3264 §8): `next` (a new fork offer, or the
 * previous one again), its directions set to `direction` when given, under the previous o= line (same
 * session id: rtpengine makes a new one for every fork offer), its version raised when the description
 * changed.
 */
export function nextRecordingOffer(previous: string, next: string, direction?: RecordingDirection): string {
  const directed = direction ? withDirection(next, direction) : next;
  const origin = originOf(previous);
  const fields = origin?.split(/\s+/);
  if (!origin || !fields || fields.length < 6 || !/^\d+$/.test(fields[2] ?? '')) return directed;
  if (withoutOrigin(previous) !== withoutOrigin(directed)) fields[2] = (BigInt(fields[2]!) + 1n).toString();
  const line = fields.join(' ');
  return originOf(directed) ? directed.replace(/^o=.*$/m, line) : directed;
}
