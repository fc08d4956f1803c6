import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { UnavailableError, ValidationError } from '../../domain/errors.js';
import type { MediaPort } from '../../app/ports.js';
import type { MediaParty, MediaRelease } from '../../domain/media-plan.js';

export interface MediaWorkerClientOptions {
  /** host:port of the media-worker's gRPC server. */
  address: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * The media-worker behind MediaPort. Its INVALID_ARGUMENT (an SDP rtpengine cannot use) becomes a
 * ValidationError; anything else (down, deadline, rtpengine refusal) an UnavailableError.
 */
export class MediaWorkerClient implements MediaPort {
  private readonly client: media.MediaWorkerClient;

  constructor(private readonly options: MediaWorkerClientOptions) {
    this.client = new media.MediaWorkerClient(options.address, credentials.createInsecure());
  }

  async answerLocally(callId: string, party: MediaParty, offerSdp: string): Promise<string> {
    const response = await this.call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      'AnswerLocally',
      this.client.answerLocally,
      media.AnswerLocallyRequest.fromPartial({
        sessionId: party.sessionId,
        fromTag: party.tag,
        sdp: offerSdp,
        callId,
      }),
      callId,
    );
    return response.sdp;
  }

  async offer(callId: string, offerer: MediaParty, sdp: string): Promise<string> {
    const response = await this.call<media.OfferRequest, media.OfferResponse>(
      'Offer',
      this.client.offer,
      media.OfferRequest.fromPartial({ sessionId: offerer.sessionId, fromTag: offerer.tag, sdp, callId }),
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
    const fn = (method as Unary<Req, Res>).bind(this.client);
    return new Promise<Res>((resolve, reject) =>
      fn(request, new Metadata(), { deadline: Date.now() + this.options.timeoutMs }, (error, response) => {
        if (!error) return resolve(response);
        const message = `media-worker ${name} failed: ${error.details || error.message}`;
        reject(
          error.code === GrpcStatus.INVALID_ARGUMENT
            ? new ValidationError(message, context, { cause: error })
            : new UnavailableError(message, context, { cause: error }),
        );
      }),
    );
  }
}
