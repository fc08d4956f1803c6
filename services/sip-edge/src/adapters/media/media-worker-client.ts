import { credentials } from '@grpc/grpc-js';
import { ERROR_KINDS } from '@callctl/errors';
import { media } from '@callctl/proto';
import { callPeer, type Unary } from '@callctl/service';
import { UnavailableError, ValidationError } from '../../domain/errors.js';
import type { MediaPort } from '../../app/ports.js';

export interface MediaWorkerClientOptions {
  /** host:port of the media-worker's gRPC server. */
  address: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

/**
 * The media-worker behind MediaPort. Its INVALID_ARGUMENT (an SDP rtpengine cannot use) becomes a
 * ValidationError; anything else (down, deadline, rtpengine refusal) an UnavailableError.
 */
export class MediaWorkerClient implements MediaPort {
  private readonly client: media.MediaWorkerClient;

  constructor(private readonly options: MediaWorkerClientOptions) {
    this.client = new media.MediaWorkerClient(options.address, credentials.createInsecure());
  }

  async answerLocally(sessionId: string, tag: string, offerSdp: string): Promise<string> {
    const response = await this.call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      'AnswerLocally',
      this.client.answerLocally,
      media.AnswerLocallyRequest.fromPartial({ sessionId, fromTag: tag, sdp: offerSdp }),
      sessionId,
    );
    return response.sdp;
  }

  async offer(sessionId: string, fromTag: string, sdp: string): Promise<string> {
    const response = await this.call<media.OfferRequest, media.OfferResponse>(
      'Offer',
      this.client.offer,
      media.OfferRequest.fromPartial({ sessionId, fromTag, sdp }),
      sessionId,
    );
    return response.sdp;
  }

  async answer(sessionId: string, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const response = await this.call<media.AnswerRequest, media.AnswerResponse>(
      'Answer',
      this.client.answer,
      { sessionId, fromTag, toTag, sdp, callId: '' },
      sessionId,
    );
    return response.sdp;
  }

  async delete(sessionId: string): Promise<void> {
    await this.call<media.DeleteRequest, media.DeleteResponse>(
      'Delete',
      this.client.delete,
      { sessionId, tag: '' },
      sessionId,
    );
  }

  async deleteParty(sessionId: string, tag: string): Promise<void> {
    await this.call<media.DeleteRequest, media.DeleteResponse>(
      'Delete',
      this.client.delete,
      { sessionId, tag },
      sessionId,
    );
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(name: string, method: unknown, request: Req, callId: string): Promise<Res> {
    return callPeer((method as Unary<Req, Res>).bind(this.client), request, {
      timeoutMs: this.options.timeoutMs,
      toError: ({ kind, details, cause }) => {
        const message = `media-worker ${name} failed: ${details}`;
        return kind === ERROR_KINDS.invalidArgument
          ? new ValidationError(message, { callId }, { cause })
          : new UnavailableError(message, { callId }, { cause });
      },
    });
  }
}
