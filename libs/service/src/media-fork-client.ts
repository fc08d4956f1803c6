import type { ChannelCredentials } from '@grpc/grpc-js';
import { ERROR_KINDS, NotFoundError, UnavailableError, ValidationError } from '@callctl/errors';
import { type media } from '@callctl/proto';
import { callPeer, type Unary } from './peer-call.js';
import type { PeerInstances } from './routing/owner-directory.js';
import { mediaSessionOwners, type MediaSessionOwners } from './routing/media-session-owners.js';

// Forks of a call's parties through the media-worker (StartFork, StopFork, Query): what every consumer of a
// party's RTP copy uses (the recording service, the stream gateway), so it lives here once.

/** One party's fork as the media-worker set it up (proto callctl.media.v1.ForkedParty). */
export interface ForkedParty {
  readonly fromTag: string;
  /** The consumer's UDP port it arrives on. */
  readonly sinkPort: number;
  readonly payloadType: number;
  readonly codec: 'PCMU' | 'PCMA' | 'G722';
  /** RTP clock rate (8000, also for G722) and the audio's sample rate (16000 for G722). */
  readonly clockRate: number;
  readonly sampleRate: number;
  /** RFC 4733 payload type in the fork; 0 = none. */
  readonly telephoneEventPayloadType: number;
  readonly transcoded: boolean;
}

/** Forks of a session's parties, through the media-worker (StartFork / StopFork / Query). */
export interface ForkPort {
  /**
   * Copies of what `fromTags` send go to `sinkAddress`:`sinkPorts[i]`. The same `forkId` replaces the fork.
   * A session or party rtpengine does not know is a NotFoundError.
   */
  startFork(request: {
    callId: string;
    sessionId: string;
    forkId: string;
    fromTags: readonly string[];
    sinkAddress: string;
    sinkPorts: readonly number[];
    wideband: boolean;
  }): Promise<readonly ForkedParty[]>;
  /** A fork or session that no longer exists is fine. */
  stopFork(sessionId: string, forkId: string): Promise<void>;
  /** Whether rtpengine still has the session (a consumer that hears nothing asks before giving up). */
  sessionExists(sessionId: string): Promise<boolean>;
}

export interface ForkClientOptions {
  /** host:port of "any" media-worker (MEDIA_WORKER_GRPC): used while no worker announced itself. */
  address: string;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The media-worker instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
  /** Deadline of one call. */
  timeoutMs: number;
}

const CODECS: ReadonlySet<string> = new Set(['PCMU', 'PCMA', 'G722']);

/**
 * ForkPort over the media-worker's gRPC (StartFork, StopFork, Query). NOT_FOUND (a session or party
 * rtpengine does not know) is a NotFoundError, INVALID_ARGUMENT a ValidationError; anything else (down,
 * deadline, a worker without forks yet answering UNIMPLEMENTED) an UnavailableError. Each call goes to the
 * worker whose rtpengine holds the session (@callctl/service mediaSessionOwners).
 */
export class ForkClient implements ForkPort {
  private readonly owners: MediaSessionOwners;

  constructor(private readonly options: ForkClientOptions) {
    this.owners = mediaSessionOwners({
      ...options,
      toError: (kind, message) =>
        kind === ERROR_KINDS.notFound ? new NotFoundError(message) : new UnavailableError(message),
    });
  }

  async startFork(request: Parameters<ForkPort['startFork']>[0]): Promise<readonly ForkedParty[]> {
    const response = await this.call<media.StartForkRequest, media.StartForkResponse>(
      'StartFork',
      request.sessionId,
      (c) => c.startFork,
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
          `the media-worker forked ${party.fromTag} in ${party.codec}, which no consumer here decodes`,
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
      await this.call<media.StopForkRequest, media.StopForkResponse>(
        'StopFork',
        sessionId,
        (c) => c.stopFork,
        { sessionId, forkId },
      );
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  async sessionExists(sessionId: string): Promise<boolean> {
    try {
      await this.call<media.QueryRequest, media.QueryResponse>('Query', sessionId, (c) => c.query, {
        sessionId,
      });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  close(): void {
    this.owners.clients.close();
  }

  private async call<Req, Res>(
    name: string,
    sessionId: string,
    method: (client: media.MediaWorkerClient) => unknown,
    request: Req,
  ): Promise<Res> {
    const client = this.owners.clients.at(await this.owners.addressOf(sessionId));
    return callPeer((method(client) as Unary<Req, Res>).bind(client), request, {
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
