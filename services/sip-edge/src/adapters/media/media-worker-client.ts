import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { ERROR_KINDS } from '@callctl/errors';
import { media } from '@callctl/proto';
import { callPeer, type Unary } from '@callctl/service';
import { UnavailableError, ValidationError } from '../../domain/errors.js';
import type { MediaPort } from '../../app/ports.js';
import type { MediaParty, MediaRelease } from '../../domain/media-plan.js';
import { localAnswerCodecs, outboundOfferCodecs, type CodecPolicy } from '../../domain/codec-policy.js';

export interface MediaWorkerClientOptions {
  /** host:port of the media-worker's gRPC server. */
  address: string;
  /** Deadline of one call. */
  timeoutMs: number;
  /**
   * Allowed codecs, most preferred first. Applied here because every offer sip-edge makes goes through
   * this client (AnswerLocally, Offer), so no leg module can forget it.
   */
  codecs: CodecPolicy;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

/**
 * The media-worker behind MediaPort. Its INVALID_ARGUMENT (an SDP rtpengine cannot use) becomes a
 * ValidationError; anything else (down, deadline, rtpengine refusal) an UnavailableError.
 */
export class MediaWorkerClient implements MediaPort {
  private readonly client: media.MediaWorkerClient;

  constructor(private readonly options: MediaWorkerClientOptions) {
    this.client = new media.MediaWorkerClient(
      options.address,
      options.credentials ?? credentials.createInsecure(),
    );
  }

  async answerLocally(
    callId: string,
    party: MediaParty,
    offerSdp: string,
    options: { detectDtmf?: boolean } = {},
  ): Promise<string> {
    const codecs = localAnswerCodecs(this.options.codecs, offerSdp);
    if (!codecs.usable) throw new ValidationError(codecs.reason, { callId });
    const response = await this.call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      'AnswerLocally',
      this.client.answerLocally,
      media.AnswerLocallyRequest.fromPartial({
        sessionId: party.sessionId,
        fromTag: party.tag,
        sdp: offerSdp,
        callId,
        detectDtmf: options.detectDtmf === true,
        codecs: codecs.options,
      }),
      callId,
    );
    return response.sdp;
  }

  async offer(callId: string, offerer: MediaParty, sdp: string): Promise<string> {
    const response = await this.call<media.OfferRequest, media.OfferResponse>(
      'Offer',
      this.client.offer,
      media.OfferRequest.fromPartial({
        sessionId: offerer.sessionId,
        fromTag: offerer.tag,
        sdp,
        callId,
        codecs: outboundOfferCodecs(this.options.codecs, sdp),
      }),
      callId,
    );
    return response.sdp;
  }

  async answer(callId: string, offerer: MediaParty, answerer: MediaParty, sdp: string): Promise<string> {
    const response = await this.call<media.AnswerRequest, media.AnswerResponse>(
      'Answer',
      this.client.answer,
      { sessionId: offerer.sessionId, fromTag: offerer.tag, toTag: answerer.tag, sdp, callId },
      callId,
    );
    return response.sdp;
  }

  async release(release: MediaRelease): Promise<void> {
    await this.call<media.DeleteRequest, media.DeleteResponse>(
      'Delete',
      this.client.delete,
      { sessionId: release.sessionId, tag: release.tag ?? '' },
      '',
    );
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(name: string, method: unknown, request: Req, callId: string): Promise<Res> {
    const context = callId ? { callId } : {};
    return callPeer((method as Unary<Req, Res>).bind(this.client), request, {
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
