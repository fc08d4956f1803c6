import type { NgResponse } from 'rtpengine-client';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';
import type { AnswerParams, CodecPolicy, MediaRelay, OfferParams, SubscribeParams } from '../../app/ports.js';
import {
  answerProfileParams,
  offerProfileParams,
  preferOpus,
  webrtcTranscode,
} from '../../domain/media-profile.js';
import { type NgClient, RtpengineError, RtpengineTimeoutError } from './ng-client.js';

/** What rtpengine's error-reason says, turned into the worker's vocabulary. rtpengine has no error codes. */
const REASON_TO_ERROR: ReadonlyArray<{ pattern: RegExp; make: (message: string) => Error }> = [
  { pattern: /unknown call-id|call-id not found/i, make: (m) => new NotFoundError(m) },
  {
    pattern: /unknown (from|to)-tag|no participant party|tag not found|no monologues matched/i,
    make: (m) => new NotFoundError(m),
  },
  { pattern: /parse SDP|SDP|no call-id/i, make: (m) => new ValidationError(m) },
  { pattern: /media playback from file/i, make: (m) => new NotFoundError(m) },
];

/** Runs one ng command and turns rtpengine failures into domain errors with the session as context. */
export async function runCommand(
  ng: NgClient,
  name: Parameters<NgClient['command']>[0],
  params: Record<string, unknown>,
): Promise<NgResponse> {
  try {
    return await ng.command(name, params);
  } catch (error) {
    const context = { sessionId: params['call-id'] as string | undefined };
    if (error instanceof RtpengineTimeoutError)
      throw new TimeoutError(`rtpengine did not answer ${name} in time`, context, { cause: error });
    if (error instanceof RtpengineError) {
      const known = REASON_TO_ERROR.find((entry) => entry.pattern.test(error.reason));
      const translated =
        known?.make(`rtpengine ${name}: ${error.reason}`) ?? new UnavailableError(error.message);
      Object.assign(translated, { context, cause: error });
      throw translated;
    }
    throw error;
  }
}

function codecParams(codecs: CodecPolicy | undefined, webrtc: boolean): Record<string, unknown> {
  const mask = codecs?.mask ?? [];
  const transcode = webrtc
    ? webrtcTranscode({ mask, transcode: codecs?.transcode ?? [] })
    : (codecs?.transcode ?? []);
  if (mask.length === 0 && transcode.length === 0) return {};
  return { codec: { mask: [...mask], transcode } };
}

/**
 * rtpengine's flags: `inject DTMF` is needed in offer and answer before `play DTMF` (forces the
 * transcoder); `port latching` keeps a party's ports when its peer changes (routes to the mixer).
 */
function flagsOf(p: { injectDtmf?: boolean; portLatching?: boolean }): Record<string, unknown> {
  const flags = [...(p.injectDtmf ? ['inject DTMF'] : []), ...(p.portLatching ? ['port latching'] : [])];
  return flags.length > 0 ? { flags } : {};
}

function sdpOf(reply: NgResponse, command: string): string {
  if (typeof reply.sdp !== 'string') throw new UnavailableError(`rtpengine ${command} returned no SDP`);
  return reply.sdp;
}

export async function offer(ng: NgClient, p: OfferParams): Promise<string> {
  const reply = await runCommand(ng, 'offer', {
    'call-id': p.sessionId,
    'from-tag': p.fromTag,
    ...(p.toTag ? { 'to-tag': p.toTag } : {}),
    sdp: p.sdp,
    ...codecParams(p.codecs, p.profile === 'webrtc'),
    ...(p.mediaEcho ? { 'media echo': p.mediaEcho } : {}),
    ...flagsOf(p),
    ...(p.profile ? offerProfileParams(p.profile) : {}),
  });
  const sdp = sdpOf(reply, 'offer');
  return p.profile === 'webrtc' ? preferOpus(sdp) : sdp;
}

export async function answer(ng: NgClient, p: AnswerParams): Promise<string> {
  const reply = await runCommand(ng, 'answer', {
    'call-id': p.sessionId,
    'from-tag': p.fromTag,
    'to-tag': p.toTag,
    sdp: p.sdp,
    ...flagsOf(p),
    ...(p.profile ? answerProfileParams(p.profile) : {}),
  });
  return sdpOf(reply, 'answer');
}

/** Removes the whole session now; the default 30 s delete delay would keep forwarding media. */
export async function deleteSession(ng: NgClient, sessionId: string): Promise<void> {
  await runCommand(ng, 'delete', { 'call-id': sessionId, 'delete-delay': 0 });
}

/** Removes the branch of one party (rtpengine delete with from-tag), now. */
export async function deleteParty(ng: NgClient, sessionId: string, tag: string): Promise<void> {
  await runCommand(ng, 'delete', { 'call-id': sessionId, 'from-tag': tag, 'delete-delay': 0 });
}

export async function querySession(ng: NgClient, sessionId: string): Promise<NgResponse> {
  return runCommand(ng, 'query', { 'call-id': sessionId });
}

/**
 * Every session's call-id (ng `list`, whose default limit is 32). The reply is one UDP datagram: past about
 * 1,500 sessions (64 KiB of ids) it cannot come back, and the caller must ask per session instead.
 */
export async function listSessions(ng: NgClient): Promise<string[]> {
  const reply = await runCommand(ng, 'list', { limit: 100_000 });
  return Array.isArray(reply.calls) ? (reply.calls as string[]) : [];
}

/**
 * Turns on rtpengine's DSP DTMF detector for what `tag` sends, so in-band tones are reported like RFC 4733
 * events (on the DTMF log). In 10.5 the `detect DTMF` flag only works in `unblock DTMF`, not in offer or
 * answer (research/rtpengine.md). It sends the party's media through the transcoder (CPU cost).
 */
export async function detectInbandDtmf(ng: NgClient, sessionId: string, tag: string): Promise<void> {
  await runCommand(ng, 'unblockDTMF', {
    'call-id': sessionId,
    'from-tag': tag,
    flags: ['detect DTMF'],
    'delay-buffer': 0,
  });
}

/**
 * Turns the DSP DTMF detector of `tag` off: `unblock DTMF` without `detect DTMF` (seen with 10.5.3.5: tones
 * are no longer reported after it). `block DTMF` followed by `unblock DTMF` did NOT turn it off.
 */
export async function stopInbandDtmf(ng: NgClient, sessionId: string, tag: string): Promise<void> {
  await runCommand(ng, 'unblockDTMF', { 'call-id': sessionId, 'from-tag': tag, 'delay-buffer': 0 });
}

/**
 * Sends one DTMF key as if `senderTag` had sent it: its peer hears an RFC 4733 event (or an in-band tone if
 * the peer did not negotiate telephone-event). Volume 10 (-10 dBm0): without it rtpengine sends -63 dBm0.
 */
export async function playDtmf(
  ng: NgClient,
  sessionId: string,
  senderTag: string,
  digit: string,
  durationMs: number,
): Promise<void> {
  await runCommand(ng, 'playDTMF', {
    'call-id': sessionId,
    'from-tag': senderTag,
    code: digit,
    duration: durationMs,
    volume: 10,
  });
}

/** Blocks (or unblocks) the media `tag` sends; directional. */
export async function setMediaBlocked(
  ng: NgClient,
  sessionId: string,
  tag: string,
  blocked: boolean,
): Promise<void> {
  await runCommand(ng, blocked ? 'blockMedia' : 'unblockMedia', { 'call-id': sessionId, 'from-tag': tag });
}

/** Plays a file to `tag`; one pass's duration, undefined when rtpengine cannot decode the file. */
export async function playMedia(
  ng: NgClient,
  sessionId: string,
  tag: string,
  file: string,
  repeat: number,
): Promise<number | undefined> {
  const reply = await runCommand(ng, 'playMedia', {
    'call-id': sessionId,
    'from-tag': tag,
    file,
    ...(repeat > 1 ? { 'repeat-times': repeat } : {}),
  });
  return typeof reply.duration === 'number' ? reply.duration : undefined;
}

export async function stopMedia(ng: NgClient, sessionId: string, tag: string): Promise<void> {
  await runCommand(ng, 'stopMedia', { 'call-id': sessionId, 'from-tag': tag });
}

/**
 * A fork: `subscribe request` for the subscriber `forkId` (its to-tag). `from-tags` takes a subset of the
 * session's parties (`flags: ["all"]` would take them all); tags rtpengine does not know are left out of
 * the reply, not refused, unless none is known ("No monologues matched"). The reply's `from-tags` lists the
 * parties in the order of its SDP's m-lines (10.5 has no `tag-medias`).
 */
export async function subscribe(
  ng: NgClient,
  p: SubscribeParams,
): Promise<{ sdp: string; fromTags: string[] }> {
  const reply = await runCommand(ng, 'subscribeRequest', {
    'call-id': p.sessionId,
    'from-tags': [...p.fromTags],
    'to-tag': p.forkId,
    ...(p.transcode.length > 0 ? { codec: { transcode: [...p.transcode] } } : {}),
    ...(p.siprec ? { flags: ['SIPREC'] } : {}),
  });
  const listed = reply['from-tags'];
  const fromTags = Array.isArray(listed)
    ? listed.map(String)
    : typeof reply['from-tag'] === 'string'
      ? [reply['from-tag']]
      : [];
  return { sdp: sdpOf(reply, 'subscribe request'), fromTags };
}

/**
 * The subscriber's answer: one codec per m-line, so `allow transcoding` (without it rtpengine expects every
 * offered codec accepted, and transcodes nothing for the fork).
 */
export async function answerSubscription(
  ng: NgClient,
  sessionId: string,
  forkId: string,
  sdp: string,
): Promise<void> {
  await runCommand(ng, 'subscribeAnswer', {
    'call-id': sessionId,
    'to-tag': forkId,
    sdp,
    flags: ['allow transcoding'],
  });
}

/** Ends a fork; rtpengine answers ok for a to-tag it does not know. */
export async function unsubscribe(ng: NgClient, sessionId: string, forkId: string): Promise<void> {
  await runCommand(ng, 'unsubscribe', { 'call-id': sessionId, 'to-tag': forkId });
}

/** The worker's media relay port over rtpengine's ng protocol. */
export function rtpengineRelay(ng: NgClient): MediaRelay {
  return {
    offer: (p) => offer(ng, p),
    answer: (p) => answer(ng, p),
    deleteSession: (sessionId) => deleteSession(ng, sessionId),
    deleteParty: (sessionId, tag) => deleteParty(ng, sessionId, tag),
    querySession: (sessionId) => querySession(ng, sessionId),
    listSessions: () => listSessions(ng),
    detectInbandDtmf: (sessionId, tag) => detectInbandDtmf(ng, sessionId, tag),
    stopInbandDtmf: (sessionId, tag) => stopInbandDtmf(ng, sessionId, tag),
    playDtmf: (sessionId, senderTag, digit, durationMs) =>
      playDtmf(ng, sessionId, senderTag, digit, durationMs),
    setMediaBlocked: (sessionId, tag, blocked) => setMediaBlocked(ng, sessionId, tag, blocked),
    playMedia: (sessionId, tag, file, repeat) => playMedia(ng, sessionId, tag, file, repeat),
    stopMedia: (sessionId, tag) => stopMedia(ng, sessionId, tag),
    subscribe: (p) => subscribe(ng, p),
    answerSubscription: (sessionId, forkId, sdp) => answerSubscription(ng, sessionId, forkId, sdp),
    unsubscribe: (sessionId, forkId) => unsubscribe(ng, sessionId, forkId),
  };
}
