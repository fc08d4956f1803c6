// SIPREC's steps on the wire, shared by the effects of the public requests (pause, resume, stop) and the
// SIPREC driver (start, roster updates, recovery): the media-worker's recording fork of the parties (rtpengine
// `subscribe request` with the SIPREC flag, then `subscribe answer`; StopFork unsubscribes) and sip-edge's
// recording session with the SRS (INVITE, re-INVITE, BYE). Never BlockMedia: in rtpengine it mutes the party
// in the live call too, so a pause stops the fork and re-INVITEs the SRS a=inactive instead.
import type { Logger } from '@callctl/logging';
import { sha1Uuid } from '@callctl/service';
import type { Leg } from '../domain/call.state.js';
import { labelAt, siprecMetadata } from '../domain/capabilities/siprec/siprec.metadata.js';
import { currentSessionId, forkIdOf, type Siprec } from '../domain/capabilities/siprec/siprec.state.js';
import type { Started } from './capabilities/effects.js';
import type { MediaPort, SipEdgePort } from './ports.js';

/**
 * The metadata's ids: name-based UUIDs of the siprec and leg ids under a namespace of their own, the same in
 * every process and for every step (start, pause, resume, update name the same session and streams).
 */
const metadataUuid = (...parts: string[]): string =>
  sha1Uuid('callctl.siprec-metadata.v1', '\0', parts.join('\0'));

/** @default 8000 (SIPREC_INVITE_TIMEOUT_MS): how long one SRS may take to answer the INVITE. */
export const DEFAULT_SIPREC_INVITE_TIMEOUT_MS = 8000;

export interface SiprecWireOptions {
  readonly sipEdge: SipEdgePort;
  readonly media: MediaPort;
  readonly inviteTimeoutMs?: number;
  readonly log?: Logger;
}

export class SiprecWire {
  constructor(private readonly o: SiprecWireOptions) {}

  /** The recorded legs in label order (decide has checked they exist). */
  legsOf(state: Started, legIds: readonly string[]): Leg[] {
    return legIds.flatMap((legId) => (state.legs[legId] ? [state.legs[legId]] : []));
  }

  metadata(state: Started, siprecId: string, legIds: readonly string[]) {
    return siprecMetadata(state.callId, siprecId, this.legsOf(state, legIds), metadataUuid);
  }

  /**
   * rtpengine's offer for the SRS: the parties' fork, one sendonly m-line per leg labelled 1..n. The parties
   * are in one media session once bridged; the first leg's session is the fork's.
   */
  async offer(state: Started, siprecId: string, legIds: readonly string[]): Promise<string> {
    const legs = this.legsOf(state, legIds);
    const first = legs[0];
    if (!first) throw new Error(`SIPREC ${siprecId} has no leg to record`);
    const { sdp } = await this.o.media.offerRecordingFork({
      callId: state.callId,
      sessionId: first.media.sessionId,
      forkId: forkIdOf(siprecId),
      fromTags: legs.map((l) => l.media.tag),
      labels: legs.map((_, i) => labelAt(i)),
    });
    return sdp;
  }

  /** The SRS's answer given to the fork: RTP flows to the SRS from now on. */
  async answer(state: Started, siprecId: string, legIds: readonly string[], sdp: string): Promise<void> {
    await this.o.media.answerRecordingFork({
      callId: state.callId,
      sessionId: this.sessionOf(state, legIds),
      forkId: forkIdOf(siprecId),
      sdp,
    });
  }

  /** INVITEs one SRS with the fork's offer (the attempt's own session id). */
  invite(state: Started, r: Siprec, sessionId: string, srsUri: string, sdp: string) {
    return this.o.sipEdge.startRecordingSession({
      callId: state.callId,
      sessionId,
      srsUri,
      sdp,
      metadata: this.metadata(state, r.siprecId, r.legIds),
      headers: r.headers,
      timeoutMs: this.o.inviteTimeoutMs ?? DEFAULT_SIPREC_INVITE_TIMEOUT_MS,
    });
  }

  /** Pause: the fork stops, then the SRS is re-INVITEd with every stream a=inactive. */
  async pause(state: Started, r: Siprec): Promise<void> {
    await this.stopFork(state, r);
    await this.o.sipEdge.updateRecordingSession({
      callId: state.callId,
      sessionId: currentSessionId(r),
      sdp: '',
      metadata: this.metadata(state, r.siprecId, r.legIds),
      direction: 'inactive',
    });
  }

  /**
   * Resume, and a roster change: a new fork of `legIds`, the SRS re-INVITEd with its offer a=sendonly and the
   * metadata of those legs, its answer given to the fork.
   */
  async refork(state: Started, r: Siprec, legIds: readonly string[]): Promise<void> {
    const sdp = await this.offer(state, r.siprecId, legIds);
    const { answerSdp } = await this.o.sipEdge.updateRecordingSession({
      callId: state.callId,
      sessionId: currentSessionId(r),
      sdp,
      metadata: this.metadata(state, r.siprecId, legIds),
      direction: 'sendonly',
    });
    await this.answer(state, r.siprecId, legIds, answerSdp);
  }

  /** BYE to the SRS (unless it ended the session itself), then the fork stops. Failures are logged. */
  async end(state: Started, r: Siprec, options: { bye: boolean; sessionId?: string }): Promise<void> {
    const sessionId = options.sessionId ?? currentSessionId(r);
    if (options.bye)
      await this.o.sipEdge
        .endRecordingSession(state.callId, sessionId)
        .catch((error: unknown) =>
          this.o.log?.warn(
            { callId: state.callId, siprecId: r.siprecId, sessionId, err: error },
            'could not end the SIPREC recording session',
          ),
        );
    await this.stopFork(state, r).catch((error: unknown) =>
      this.o.log?.warn(
        { callId: state.callId, siprecId: r.siprecId, err: error },
        'could not stop the SIPREC fork',
      ),
    );
  }

  /** Ends the fork; one that no longer exists (or whose session went with the call) is OK. */
  stopFork(state: Started, r: Siprec): Promise<void> {
    const first = this.legsOf(state, r.legIds)[0];
    if (!first) return Promise.resolve();
    return this.o.media.stopFork(first.media, forkIdOf(r.siprecId));
  }

  private sessionOf(state: Started, legIds: readonly string[]): string {
    const first = this.legsOf(state, legIds)[0];
    if (!first) throw new Error('no leg to record');
    return first.media.sessionId;
  }
}
