// What the app layer needs from the outside world. Adapters implement these; tests use the same adapters
// against real peers (or, for sip-edge, a recording server speaking the real gRPC contract).
import type { callEvents, sipEdge, streamGateway } from '@callctl/proto';

/** The SIP actions of sip-edge (proto/callctl/sipedge/v1). Each call carries its own deadline. */
export interface SipEdgePort {
  placeCall(request: {
    callId: string;
    legId: string;
    toUri: string;
    fromUri: string;
    ringTimeoutMs: number;
    bridgeWithLegId: string;
    /** Extra SIP headers for the INVITE (Referred-By of a transfer a phone asked for). */
    headers?: Readonly<Record<string, string>>;
  }): Promise<{ sipCallId: string; media?: MediaParty }>;
  /** `detectInbandDtmf`: in-band DTMF detection on from the answer. */
  answerLeg(callId: string, legId: string, detectInbandDtmf?: boolean): Promise<void>;
  /** Sends digits as SIP INFO (a leg that did not negotiate telephone-event). */
  sendDtmfInfo(callId: string, legId: string, digits: string, durationMs: number): Promise<void>;
  rejectLeg(callId: string, legId: string, sipStatus: number, reason: string): Promise<void>;
  /** Ends a leg in whatever SIP state it is; a leg sip-edge no longer holds counts as ended. */
  /** `cause`: why the platform ends the leg, for the Q.850 cause of the BYE's or CANCEL's Reason header. */
  hangupLeg(callId: string, legId: string, reason: string, cause?: callEvents.EndCause): Promise<void>;
  /**
   * Joins the media of two answered legs by re-INVITEs (RFC 3725). A far end's refusal is ILLEGAL_STATE
   * naming the leg and SIP status; on any failure both legs keep their media. Already bridged together: ok.
   */
  /**
   * `bridge`: the bridge id and idempotency key decided, which sip-edge's LegsBridged fact carries back.
   * Resolves with the media session both legs' media is in now.
   */
  bridgeLegs(
    callId: string,
    legAId: string,
    legBId: string,
    bridge: { bridgeId: string; idempotencyKey: string },
  ): Promise<{ mediaSessionId: string }>;
  /** The legs sip-edge holds now; `sipState`: offered (inbound, not answered), ringing or answered. */
  listLegs(): Promise<Array<{ callId: string; legId: string; sipState: string }>>;
  /**
   * The legs of one call, asked of the instance holding it alone (known without announcements: it works
   * while NATS is down). NOT_FOUND when no instance holds the call.
   */
  legsOfCall(callId: string): Promise<Array<{ legId: string; sipState: string }>>;
  /**
   * Re-INVITEs an answered leg with its current media and `direction` (hold: sendonly or inactive; resume:
   * sendrecv). The phone's refusal is ILLEGAL_STATE naming the status. Resolves with the direction it answered.
   */
  setLegDirection(
    callId: string,
    legId: string,
    direction: LegDirectionChoice,
  ): Promise<{ answeredDirection: string }>;
  /**
   * Takes two bridged legs apart, each into a one-sided session of its own (`holdA`: A is answered
   * a=sendonly). Already apart: resolves with their current media.
   */
  unbridgeLegs(
    callId: string,
    legAId: string,
    legBId: string,
    options?: { holdA?: boolean },
  ): Promise<{ mediaA?: MediaParty; mediaB?: MediaParty }>;
  /** REFER on the leg's dialog; resolves with the phone's status (202), a refusal is ILLEGAL_STATE. */
  referLeg(request: {
    callId: string;
    legId: string;
    transferId: string;
    referTo: string;
    referredBy: string;
    timeoutMs: number;
  }): Promise<{ sipStatus: number }>;
  /** A NOTIFY (sipfrag `sipStatus`) for the REFER `referId` the leg's phone sent. */
  notifyRefer(
    callId: string,
    legId: string,
    referId: string,
    sipStatus: number,
    reason?: string,
  ): Promise<void>;
  /** Re-homes a live leg in another call (a phone's REFER with Replaces); OK when it is there already. */
  moveLeg(callId: string, legId: string, toCallId: string): Promise<void>;
  /**
   * SIPREC: INVITEs one SRS with the fork's SDP and the metadata (sip-edge writes the multipart body);
   * resolves once it answered 2xx. A refusal's message starts with "SIP <status>" (ILLEGAL_STATE); no
   * answer within `timeoutMs` is TIMEOUT ("SIP 408"), an unreachable SRS UNAVAILABLE ("SIP 503").
   */
  startRecordingSession(request: {
    callId: string;
    sessionId: string;
    srsUri: string;
    sdp: string;
    metadata: sipEdge.SiprecMetadata;
    headers: Readonly<Record<string, string>>;
    timeoutMs: number;
  }): Promise<{ answerSdp: string; sipCallId: string }>;
  /** Re-INVITEs the SRS: a new SDP ('' = the current one) with every m-line `direction`, new metadata. */
  updateRecordingSession(request: {
    callId: string;
    sessionId: string;
    sdp: string;
    metadata: sipEdge.SiprecMetadata;
    direction?: LegDirectionChoice;
  }): Promise<{ answerSdp: string }>;
  /** BYE to the SRS (CANCEL while its INVITE is pending); an unknown or ended session is OK. */
  endRecordingSession(callId: string, sessionId: string): Promise<void>;
}

/** The directions the platform offers a leg (sip-edge's MediaDirection). */
export type LegDirectionChoice = 'sendrecv' | 'sendonly' | 'inactive';

/** Where a leg's media is in rtpengine, as sip-edge reported it (the leg's `media` in the call state). */
export type MediaParty = { readonly sessionId: string; readonly tag: string };

/**
 * Media operations of the media-worker (proto/callctl/media/v1) on one party: the session and tag where the
 * leg's media is now. `callId` is the call the worker reports the playback's facts under.
 */
export interface MediaPort {
  play(request: {
    callId: string;
    party: MediaParty;
    source: string;
    repeat: number;
    playbackId: string;
  }): Promise<void>;
  stopPlay(party: MediaParty): Promise<void>;
  /** Drops what the party sends: the other parties of its session no longer hear it (hold). */
  blockMedia(party: MediaParty): Promise<void>;
  /** Undoes blockMedia; a party not blocked is OK. */
  unblockMedia(party: MediaParty): Promise<void>;
  /** Sends RFC 4733 events; `sent` false when the party negotiated no telephone-event (nothing sent). */
  sendDtmf(request: {
    callId: string;
    party: MediaParty;
    digits: string;
    durationMs: number;
  }): Promise<{ sent: boolean }>;
  setDtmfDetection(request: { callId: string; party: MediaParty; inband: boolean }): Promise<void>;
  startEcho(party: MediaParty): Promise<void>;
  stopEcho(party: MediaParty): Promise<void>;
  /** Resolves once the worker has published every fact it took for the call (FlushFacts), within `timeoutMs`. */
  flushFacts(callId: string, timeoutMs: number): Promise<void>;
  /**
   * A copy of what the party sends, to `sinkAddress:sinkPort` (StartFork with one party); the same fork id
   * replaces the fork. Resolves with the codec the copy comes in.
   */
  startFork(request: {
    callId: string;
    party: MediaParty;
    forkId: string;
    sinkAddress: string;
    sinkPort: number;
  }): Promise<{ codec: string }>;
  /** Ends a fork; a fork or session that no longer exists is OK. */
  stopFork(party: MediaParty, forkId: string): Promise<void>;
  /**
   * Routes the party through a mixer participant (idempotent by `routeId`); resolves with rtpengine's SDP
   * facing the mixer. The worker watches `mixerAddress` and restores the route itself when it dies.
   */
  routeToMixer(request: {
    callId: string;
    party: MediaParty;
    mixerSdp: string;
    mixerAddress: string;
    routeId: string;
  }): Promise<{ sdp: string }>;
  /** Gives the party its direct path back; no route is OK. */
  restoreRoute(request: { callId: string; party: MediaParty }): Promise<void>;
  /**
   * SIPREC's fork of the parties (`fromTags` in `sessionId`, in label order, labelled `labels`): resolves
   * with rtpengine's offer for the SRS, one sendonly m-line per party. The same fork id replaces the fork.
   */
  offerRecordingFork(request: {
    callId: string;
    sessionId: string;
    forkId: string;
    fromTags: readonly string[];
    labels: readonly string[];
  }): Promise<{ sdp: string }>;
  /** The SRS's answer to the fork's offer: RTP then flows to it. StopFork ends the fork. */
  answerRecordingFork(request: {
    callId: string;
    sessionId: string;
    forkId: string;
    sdp: string;
  }): Promise<void>;
}

/** What a mixer participant is to the mixer (proto/callctl/mixer/v1 Direction). */
export type MixerDirection = 'sendrecv' | 'recvonly';

/**
 * The mixer (proto/callctl/mixer/v1): one room per monitored call (room id = call id), on one mixer
 * instance chosen when the room is created and found again by asking the instances (GetRoom) after a
 * restart. Create, add and delete are idempotent; removing what is gone is OK.
 */
export interface MixerPort {
  /** The gRPC address of the mixer holding (or to hold) the call's room: the media-worker watches it. */
  addressOf(callId: string): Promise<string>;
  createRoom(callId: string): Promise<void>;
  /**
   * Resolves with the participant's SDP (its RTP host and port): for RouteToMixer, or a fork's sink.
   * `codec`: what it receives, "PCMU" (the default), "PCMA" or (recvonly only) "G722".
   */
  addParticipant(
    callId: string,
    participantId: string,
    direction: MixerDirection,
    codec?: string,
  ): Promise<{ rtpHost: string; rtpPort: number; sdp: string }>;
  connectParticipant(callId: string, participantId: string, remoteSdp: string): Promise<void>;
  setHearing(
    callId: string,
    rows: ReadonlyArray<{ listenerId: string; sourceIds: readonly string[] }>,
  ): Promise<void>;
  removeParticipant(callId: string, participantId: string): Promise<void>;
  deleteRoom(callId: string): Promise<void>;
}

/** What to synthesize (proto/callctl/tts/v1): text or SSML, with the provider and voice asked for. */
export interface SpeechRequest {
  readonly text?: string;
  readonly ssml?: string;
  readonly provider: string;
  readonly voice: string;
  readonly language: string;
}

/**
 * The tts service. Its errors carry its status: INVALID_ARGUMENT naming an unknown voice or language,
 * UNAVAILABLE naming the provider.
 */
export interface TtsPort {
  synthesize(request: SpeechRequest): Promise<{
    mediaId: string;
    durationMs: number;
    /** The provider and voice that spoke (the fallback's when the requested one failed). */
    provider: string;
    voice: string;
    /** The provider asked for, when the fallback spoke instead. */
    fallbackFrom: string;
  }>;
}

/** The media library (proto/callctl/v1/media_library.proto): an unknown or deleted id is NOT_FOUND. */
export interface MediaLibraryPort {
  getMedia(mediaId: string): Promise<{ mediaId: string; durationMs: number }>;
}

/** One party of a recording, in channel order: the leg and where its media is now. */
export type RecordedParty = { readonly legId: string; readonly media: MediaParty };

/**
 * The recording service's internal Recorder (proto/callctl/recording/v1). Its errors carry its status:
 * UNAVAILABLE when it (or the media-worker it forks through) is down, FAILED_PRECONDITION when the media
 * session is gone. Start is idempotent on the recording id; pause, resume and stop are OK when already so.
 */
export interface RecorderPort {
  startRecorder(request: {
    recordingId: string;
    callId: string;
    kind: callEvents.RecordingKind;
    parties: readonly RecordedParty[];
    channels: callEvents.RecordingChannels;
    pauseMode: callEvents.PauseMode;
    /** 0 = no limit. */
    maxDurationMs: number;
    /** Segment only; 0 = never. */
    silenceTimeoutMs: number;
    /** The beep plays meanwhile. */
    startDelayMs: number;
  }): Promise<void>;
  pauseRecorder(recordingId: string): Promise<void>;
  resumeRecorder(recordingId: string): Promise<void>;
  /** `trimLastMs`: audio cut from the end of the file (a terminator key's tone). */
  stopRecorder(
    recordingId: string,
    reason: callEvents.RecordingStopReason,
    trimLastMs: number,
  ): Promise<void>;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;

export interface IdSource {
  /** A fresh, time-ordered UUID (event ids). */
  next(): string;
  /** The same UUID for the same parts: ids derived from idempotency keys and fact ids survive a retry. */
  fromName(...parts: string[]): string;
}

/**
 * The stream gateway's internal StreamGateway (proto/callctl/streams/v1): media streams to customer
 * WebSockets. A stream lives in the memory of the instance that opened it. Its errors carry its status:
 * INVALID_ARGUMENT for a URL it refuses, UNAVAILABLE when it (or the media-worker) is down, NOT_FOUND for a
 * stream no instance holds. Open is idempotent on the stream id; close is OK for an ended stream.
 */
export interface StreamGatewayPort {
  openStream(request: streamGateway.OpenStreamRequest): Promise<void>;
  updateStream(request: streamGateway.UpdateStreamRequest): Promise<void>;
  sendStreamDtmf(request: streamGateway.SendStreamDtmfRequest): Promise<void>;
  /** Bidirectional: where the endpoint's audio goes (the stream's mixer participant). */
  connectStreamOutput(request: streamGateway.ConnectStreamOutputRequest): Promise<void>;
  pauseStream(streamId: string): Promise<void>;
  resumeStream(streamId: string): Promise<void>;
  closeStream(streamId: string, reason: callEvents.StreamStopReason): Promise<void>;
  /** Whether a live instance holds the stream; UNAVAILABLE when one that did not answer may. */
  holdsStream(streamId: string): Promise<boolean>;
}
