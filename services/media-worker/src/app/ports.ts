// What the worker's app/ needs from the world. adapters/ implements each port (rtpengine over ng/UDP, NATS,
// the file system and HTTP, the DTMF log over UDP); main.ts and media-worker.ts wire them in.
import type { facts } from '@callctl/proto';
import type { PlaybackRecord } from '../domain/worker-state.js';
import type { SilenceTarget } from '../domain/dtmf-sending.js';

export interface CodecPolicy {
  mask: readonly string[];
  transcode: readonly string[];
}

import type { MediaProfile } from '../domain/media-profile.js';

export interface OfferParams {
  sessionId: string;
  fromTag: string;
  sdp: string;
  /**
   * The party offered to, when the offer re-associates `fromTag` with another party than its current one
   * (a route to the mixer, its restore); left out, rtpengine keeps the party's current peer.
   */
  toTag?: string;
  codecs?: CodecPolicy;
  /**
   * rtpengine `media echo` value, relative to the offer: `backwards` echoes the offerer to itself,
   * `forward` echoes the answerer to itself.
   */
  mediaEcho?: 'backwards' | 'forward';
  /** rtpengine `inject DTMF` (in offer and answer): lets the worker send DTMF; puts the session through the transcoder. */
  injectDtmf?: boolean;
  /**
   * rtpengine `port latching`: keep the party's ports although its peer's address changes (a route to the
   * mixer and back). Without it 10.5 gives the party new ports, which the phone would never learn.
   */
  portLatching?: boolean;
  /** Profile of the side the returned SDP goes to; absent: rtpengine keeps the offer's transport. */
  profile?: MediaProfile;
  /**
   * Profile of the offerer itself, for the worker's own answer to it (a locally answered party: its offer
   * goes to the worker's plain sink, the answer back in this profile).
   */
  offererProfile?: MediaProfile;
}

export interface AnswerParams {
  sessionId: string;
  fromTag: string;
  toTag: string;
  sdp: string;
  /** As OfferParams.injectDtmf: the answer must carry it too. */
  injectDtmf?: boolean;
  /** As OfferParams.portLatching. */
  portLatching?: boolean;
  /** Profile of the offerer, which the returned SDP goes to; absent: rtpengine's defaults. */
  profile?: MediaProfile;
}

/**
 * The media relay (rtpengine), one method per ng command the worker sends. Failures arrive as the
 * worker's domain errors (NotFoundError for an unknown session or tag, ValidationError for bad SDP, ...).
 */
export interface MediaRelay {
  /** Returns the SDP to send to the answerer. */
  offer(p: OfferParams): Promise<string>;
  /** Returns the SDP to send to the offerer. */
  answer(p: AnswerParams): Promise<string>;
  /** Removes the whole session now. */
  deleteSession(sessionId: string): Promise<void>;
  /** Removes one party's branch now; the relay drops the session with its last branch. */
  deleteParty(sessionId: string, tag: string): Promise<void>;
  /** The ids of every session the relay holds now. */
  listSessions(): Promise<string[]>;
  /** The relay's view of the session (raw reply); NotFoundError once it is gone. */
  querySession(sessionId: string): Promise<Record<string, unknown>>;
  /** Turns on in-band (tone) DTMF detection for what `tag` sends. */
  detectInbandDtmf(sessionId: string, tag: string): Promise<void>;
  /** Turns in-band (tone) DTMF detection off again for what `tag` sends. */
  stopInbandDtmf(sessionId: string, tag: string): Promise<void>;
  /**
   * Sends one DTMF key (0-9 * # A-D) as if `senderTag` had sent it, to its peer. Needs `injectDtmf` in the
   * session's offer and answer.
   */
  playDtmf(sessionId: string, senderTag: string, digit: string, durationMs: number): Promise<void>;
  /** Blocks (or unblocks) the media `tag` sends; directional. */
  setMediaBlocked(sessionId: string, tag: string, blocked: boolean): Promise<void>;
  /**
   * Plays a local file to `tag`, `repeat` passes; returns one pass's duration, or undefined when the relay
   * accepted the file but cannot decode it.
   */
  playMedia(sessionId: string, tag: string, file: string, repeat: number): Promise<number | undefined>;
  /** Stops what plays to `tag`. */
  stopMedia(sessionId: string, tag: string): Promise<void>;
  /**
   * Asks for a copy of what `fromTags` send, for the subscriber `forkId` (its to-tag; a second request with
   * it replaces the fork), each party's codec offered first and `transcode` after it. Returns the relay's
   * offer (one m-line per party) and the parties it covers, in the order of its m-lines.
   */
  subscribe(p: SubscribeParams): Promise<{ sdp: string; fromTags: string[] }>;
  /** Completes the fork with the subscriber's answer (where each copy goes, in which codec). */
  answerSubscription(sessionId: string, forkId: string, sdp: string): Promise<void>;
  /** Ends the fork `forkId`. */
  unsubscribe(sessionId: string, forkId: string): Promise<void>;
}

export interface SubscribeParams {
  sessionId: string;
  forkId: string;
  fromTags: readonly string[];
  /** Codecs rtpengine may transcode each party's copy to. */
  transcode: readonly string[];
  /**
   * SIPREC (RFC 7866): the offer's m-lines are sendonly with `a=label` each (rtpengine's SIPREC flag), one
   * per party in the order of fromTags.
   */
  siprec?: boolean;
}

/** The worker's own party of one-sided sessions, as a sender. */
export interface SinkMedia {
  /**
   * Sends silence to `target` for `forMs` (extends a running flow to it); resolves once a new flow's first
   * frames are sent.
   */
  keepSending(target: SilenceTarget, forMs: number): Promise<void>;
}

/** Where prompts come from: turns a request's source into a readable local file. */
export interface MediaSources {
  /**
   * An http(s) URL is downloaded (or found in the cache), an absolute path is checked. Errors name the
   * source as the request gave it (a URL, or the file's name), never a directory of the worker's host.
   */
  resolve(source: string): Promise<string>;
}

/** One digit the relay reported (an RFC 4733 event, or an in-band tone when detection is on). */
export interface DtmfReport {
  sessionId: string;
  tag: string;
  digit: string;
  durationMs: number;
}

/** The relay's digit reports, as a feed. */
export interface DtmfEventSource {
  /** Starts delivering reports to `onDigit`; returns where the relay must send them. */
  start(onDigit: (report: DtmfReport) => void): Promise<{ address: string; port: number }>;
  stop(): Promise<void>;
}

/** Stores one fact durably (JetStream, awaited ack, bounded retry); rejects once it gives up. */
export type PublishMediaFact = (fact: facts.MediaFact, signal: AbortSignal) => Promise<void>;

/** Records of one kind, by id; a put replaces, a delete of a missing id is fine. */
export interface StateTable<T> {
  put(id: string, value: T): Promise<void>;
  delete(id: string): Promise<void>;
  /** Every record with its id, read once at start. */
  all(): Promise<Array<{ id: string; value: T }>>;
}

/** A party the worker answered itself: the caller's last offer, kept to re-negotiate echo on and off. */
export interface LocalPartyRecord {
  offer: OfferParams;
  localTag: string;
}

/** A party whose in-band DTMF detection is on: a re-offer must turn it on again. */
export interface InbandDtmfRecord {
  sessionId: string;
  tag: string;
  /** Whether the party's SDP negotiated telephone-event (decides DtmfReceived.method); absent: unknown. */
  telephoneEvent?: boolean;
}

/** A relayed session's offer and answer as the worker sent them to the relay (kept to re-negotiate). */
export interface NegotiationRecord {
  offer: OfferParams;
  answer: AnswerParams;
}

/**
 * A party routed through a mixer (RouteToMixer): enough to give it its direct path back in this run or the
 * next, without the worker's memory of the session's offers and answers.
 */
export interface MixerRouteRecord {
  routeId: string;
  sessionId: string;
  tag: string;
  callId: string;
  /** The mixer's gRPC address, watched while the route exists. */
  mixerAddress: string;
  /** The mixer participant's SDP and rtpengine's SDP facing it (the reply to the same route again). */
  mixerSdp: string;
  sdp: string;
  /** The to-tag the mixer stands as in the session. */
  mixerTag: string;
  /** How the party was paired before: a relayed negotiation with its peer, or the worker's own sink. */
  direct: { relayed: NegotiationRecord } | { local: LocalPartyRecord };
}

/** The call a session's media facts are published under. */
export interface SessionCallRecord {
  sessionId: string;
  callId: string;
}

/**
 * What the worker keeps outside its memory so that a restart (even kill -9) loses none of it; one table per
 * module that owns the records.
 */
export interface WorkerState {
  /** By partyKey(session, tag): one playback per party, as in rtpengine. */
  playbacks: StateTable<PlaybackRecord>;
  /** By partyKey(session, caller's tag): a session can hold several locally answered parties. */
  localParties: StateTable<LocalPartyRecord>;
  /** By partyKey(session, tag). */
  inbandDtmf: StateTable<InbandDtmfRecord>;
  /** By session id; only sessions whose call id differs from their session id. */
  sessionCalls: StateTable<SessionCallRecord>;
  /**
   * By partyKey(session, offerer's tag): relayed offer/answer pairs re-negotiated with inject DTMF (so a
   * re-offer and the next run keep it on). Locally answered parties keep it in their localParties record.
   */
  dtmfInjection: StateTable<NegotiationRecord>;
  /** By partyKey(session, tag): parties routed through a mixer. */
  mixerRoutes: StateTable<MixerRouteRecord>;
}
