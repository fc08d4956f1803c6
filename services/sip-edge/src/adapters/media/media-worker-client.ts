import type { ChannelCredentials } from '@grpc/grpc-js';
import { ERROR_KINDS, NotFoundError } from '@callctl/errors';
import { media } from '@callctl/proto';
import {
  callPeer,
  mediaSessionOwners,
  type MediaSessionOwners,
  type PeerInstances,
  type Unary,
} from '@callctl/service';
import { UnavailableError, ValidationError } from '../../domain/errors.js';
import type { MediaPort } from '../../app/ports.js';
import type { MediaParty, MediaRelease } from '../../domain/media-plan.js';
import type { MediaProfile } from '../../domain/media-profile.js';
import { localAnswerCodecs, outboundOfferCodecs, type CodecPolicy } from '../../domain/codec-policy.js';

export interface MediaWorkerClientOptions {
  /** host:port of "any" media-worker (MEDIA_WORKER_GRPC): used while no worker announced itself. */
  address: string;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The media-worker instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
  /** Deadline of one call. */
  timeoutMs: number;
  /**
   * Allowed codecs, most preferred first. Applied here because every offer sip-edge makes goes through
   * this client (AnswerLocally, Offer), so no leg module can forget it.
   */
  codecs: CodecPolicy;
}

const PROFILES: Readonly<Record<MediaProfile, media.MediaProfile>> = {
  plain: media.MediaProfile.MEDIA_PROFILE_PLAIN,
  sdes: media.MediaProfile.MEDIA_PROFILE_SDES,
  webrtc: media.MediaProfile.MEDIA_PROFILE_WEBRTC,
};

/** The proto field, left out for no profile (an older worker then sees the request it always saw). */
function profileField(profile: MediaProfile | undefined): { profile?: media.MediaProfile } {
  return profile ? { profile: PROFILES[profile] } : {};
}

/**
 * The media-worker behind MediaPort. Its INVALID_ARGUMENT (an SDP rtpengine cannot use) becomes a
 * ValidationError; anything else (down, deadline, rtpengine refusal) an UnavailableError.
 *
 * Each worker drives its own rtpengine, so a session lives on one worker: a call's first session goes to
 * the next live worker in turn, the call's further sessions (a bridge) to the same one, and every later
 * command on a session to the worker holding it (asked of every worker after a restart of sip-edge).
 */
export class MediaWorkerClient implements MediaPort {
  private readonly owners: MediaSessionOwners;

  constructor(private readonly options: MediaWorkerClientOptions) {
    this.owners = mediaSessionOwners({
      ...options,
      toError: (kind, message) =>
        kind === ERROR_KINDS.notFound ? new NotFoundError(message) : new UnavailableError(message),
    });
  }

  /** Where a session the call's leg is placed in is made: with the call's other sessions. */
  private placeOf(callId: string, sessionId: string): string {
    const directory = this.owners.directory;
    const known = directory.known(sessionId);
    if (known) return known.address;
    const callKey = `call:${callId}`;
    const worker = directory.known(callKey) ?? directory.assign(callKey);
    directory.remember(sessionId, worker);
    return worker.address;
  }

  async answerLocally(
    callId: string,
    party: MediaParty,
    offerSdp: string,
    options: { detectDtmf?: boolean; profile?: MediaProfile | undefined } = {},
  ): Promise<string> {
    const codecs = localAnswerCodecs(this.options.codecs, offerSdp);
    if (!codecs.usable) throw new ValidationError(codecs.reason, { callId });
    const response = await this.call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      'AnswerLocally',
      this.placeOf(callId, party.sessionId),
      (c) => c.answerLocally,
      media.AnswerLocallyRequest.fromPartial({
        sessionId: party.sessionId,
        fromTag: party.tag,
        sdp: offerSdp,
        callId,
        detectDtmf: options.detectDtmf === true,
        codecs: codecs.options,
        ...profileField(options.profile),
      }),
      callId,
    );
    return response.sdp;
  }

  async offer(callId: string, offerer: MediaParty, sdp: string, towards?: MediaProfile): Promise<string> {
    const response = await this.call<media.OfferRequest, media.OfferResponse>(
      'Offer',
      this.placeOf(callId, offerer.sessionId),
      (c) => c.offer,
      media.OfferRequest.fromPartial({
        sessionId: offerer.sessionId,
        fromTag: offerer.tag,
        sdp,
        callId,
        codecs: outboundOfferCodecs(this.options.codecs, sdp),
        ...profileField(towards),
      }),
      callId,
    );
    return response.sdp;
  }

  async answer(
    callId: string,
    offerer: MediaParty,
    answerer: MediaParty,
    sdp: string,
    back?: MediaProfile,
  ): Promise<string> {
    const response = await this.call<media.AnswerRequest, media.AnswerResponse>(
      'Answer',
      await this.owners.addressOf(offerer.sessionId),
      (c) => c.answer,
      {
        sessionId: offerer.sessionId,
        fromTag: offerer.tag,
        toTag: answerer.tag,
        sdp,
        callId,
        ...profileField(back),
      },
      callId,
    );
    return response.sdp;
  }

  async release(release: MediaRelease): Promise<void> {
    let address: string;
    try {
      address = await this.owners.addressOf(release.sessionId);
    } catch (error) {
      if (error instanceof NotFoundError) return; // no worker holds it: nothing to delete
      throw error;
    }
    await this.call<media.DeleteRequest, media.DeleteResponse>(
      'Delete',
      address,
      (c) => c.delete,
      { sessionId: release.sessionId, tag: release.tag ?? '' },
      '',
    );
  }

  close(): void {
    this.owners.clients.close();
  }

  private call<Req, Res>(
    name: string,
    address: string,
    method: (client: media.MediaWorkerClient) => unknown,
    request: Req,
    callId: string,
  ): Promise<Res> {
    const context = callId ? { callId } : {};
    const client = this.owners.clients.at(address);
    return callPeer((method(client) as Unary<Req, Res>).bind(client), request, {
      timeoutMs: this.options.timeoutMs,
      toError: ({ kind, details, cause }) => {
        const message = `media-worker ${name} failed: ${details}`;
        return kind === ERROR_KINDS.invalidArgument
          ? new ValidationError(message, context, { cause })
          : new UnavailableError(message, context, { cause });
      },
    });
  }
}
