import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { ERROR_KINDS, NotFoundError, UnavailableError, ValidationError } from '@callctl/errors';
import { media } from '@callctl/proto';
import { callPeer, type Unary } from '@callctl/service';
import type { ForkedParty, ForkPort } from '../../app/ports.js';

export interface ForkClientOptions {
  /** host:port of the media-worker's gRPC server (MEDIA_WORKER_GRPC). */
  address: string;
  /** Deadline of one call. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

const CODECS: ReadonlySet<string> = new Set(['PCMU', 'PCMA', 'G722']);

/**
 * ForkPort over the media-worker's gRPC (StartFork, StopFork, Query). NOT_FOUND (a session or party
 * rtpengine does not know) is a NotFoundError, INVALID_ARGUMENT a ValidationError; anything else (down,
 * deadline, a worker without forks yet answering UNIMPLEMENTED) an UnavailableError.
 */
export class ForkClient implements ForkPort {
  private readonly client: media.MediaWorkerClient;

  constructor(private readonly options: ForkClientOptions) {
    this.client = new media.MediaWorkerClient(
      options.address,
      options.credentials ?? credentials.createInsecure(),
    );
  }

  async startFork(request: Parameters<ForkPort['startFork']>[0]): Promise<readonly ForkedParty[]> {
    const response = await this.call<media.StartForkRequest, media.StartForkResponse>(
      'StartFork',
      this.client.startFork,
      {
        sessionId: request.sessionId,
        forkId: request.forkId,
        fromTags: [...request.fromTags],
        sinkAddress: request.sinkAddress,
        sinkPorts: [...request.sinkPorts],
        wideband: request.wideband,
        callId: request.callId,
      },
    );
    return response.parties.map((party) => {
      if (!CODECS.has(party.codec))
        throw new UnavailableError(
          `the media-worker forked ${party.fromTag} in ${party.codec}, which the recorder cannot decode`,
        );
      return {
        fromTag: party.fromTag,
        sinkPort: party.sinkPort,
        payloadType: party.payloadType,
        codec: party.codec as ForkedParty['codec'],
        clockRate: party.clockRate,
        sampleRate: party.sampleRate,
        telephoneEventPayloadType: party.telephoneEventPayloadType,
        transcoded: party.transcoded,
      };
    });
  }

  async stopFork(sessionId: string, forkId: string): Promise<void> {
    try {
      await this.call<media.StopForkRequest, media.StopForkResponse>('StopFork', this.client.stopFork, {
        sessionId,
        forkId,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  async sessionExists(sessionId: string): Promise<boolean> {
    try {
      await this.call<media.QueryRequest, media.QueryResponse>('Query', this.client.query, { sessionId });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(name: string, method: unknown, request: Req): Promise<Res> {
    return callPeer((method as Unary<Req, Res>).bind(this.client), request, {
      timeoutMs: this.options.timeoutMs,
      toError: ({ kind, details, cause }) => {
        const message = `media-worker ${name} failed: ${details}`;
        if (kind === ERROR_KINDS.notFound) return new NotFoundError(message, {}, { cause });
        if (kind === ERROR_KINDS.invalidArgument) return new ValidationError(message, {}, { cause });
        return new UnavailableError(message, {}, { cause });
      },
    });
  }
}
