// callctl.streams.v1.StreamGateway (internal, for the orchestrator): proto messages ↔ Streams calls. Errors
// are the domain's typed ones mapped by the one unary wrapper (libs/service); the stream limit, which no
// error kind stands for, is RESOURCE_EXHAUSTED.
import { status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { NotFoundError } from '@callctl/errors';
import { callEvents, streamGateway } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { StatusRefusal, unaryHandler, type ServiceBinding } from '@callctl/service';
import type { Streams } from '../../app/streams.js';
import {
  MediaSessionGoneError,
  StreamLimitError,
  StreamNotFoundError,
  StreamValidationError,
} from '../../domain/errors.js';
import { endpointUrl, mediaFormat, type Participant, type StreamSpec } from '../../domain/stream-spec.js';

export const STREAM_GATEWAY_SERVICE = 'callctl.streams.v1.StreamGateway';

function participantOf(p: streamGateway.StreamParticipant): Participant {
  if (!p.legId || !p.media?.sessionId || !p.media.tag)
    throw new StreamValidationError(`participant ${JSON.stringify(p.legId)} needs a leg id and its media`, {
      legId: p.legId,
    });
  return {
    legId: p.legId,
    role: p.role,
    fromUri: p.fromUri,
    toUri: p.toUri,
    held: p.held,
    sessionId: p.media.sessionId,
    tag: p.media.tag,
  };
}

function specOf(r: streamGateway.OpenStreamRequest, allowInsecure: boolean): StreamSpec {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(r.streamId))
    throw new StreamValidationError(`stream id ${JSON.stringify(r.streamId)} is not an id`, {});
  if (r.participants.length === 0) throw new StreamValidationError('a stream needs a participant', {});
  const encoding =
    r.encoding === callEvents.StreamEncoding.STREAM_ENCODING_L16
      ? 'L16'
      : r.encoding === callEvents.StreamEncoding.STREAM_ENCODING_PCMU ||
          r.encoding === callEvents.StreamEncoding.STREAM_ENCODING_UNSPECIFIED
        ? 'PCMU'
        : undefined;
  if (!encoding) throw new StreamValidationError(`unknown encoding ${r.encoding}`, {});
  return {
    streamId: r.streamId,
    callId: r.callId,
    url: endpointUrl(r.url, allowInsecure),
    authorization: r.authorization,
    tracks: r.tracks === callEvents.StreamTracks.STREAM_TRACKS_MIXED ? 'mixed' : 'per-participant',
    format: mediaFormat(encoding, r.sampleRate),
    bidirectional: r.bidirectional,
    customParameters: r.customParameters,
    context: r.context,
  };
}

/** The media-worker not knowing a session is the call having ended: FAILED_PRECONDITION. */
function sessionGone(streamId: string) {
  return (error: unknown): never => {
    if (error instanceof NotFoundError && !(error instanceof StreamNotFoundError))
      throw new MediaSessionGoneError(`the call's media session is gone: ${error.message}`, { streamId });
    if (error instanceof StreamLimitError) throw new StatusRefusal(status.RESOURCE_EXHAUSTED, error.message);
    throw error;
  };
}

export function streamGatewayService(options: {
  streams: Streams;
  allowInsecure: boolean;
  log: Logger;
}): ServiceBinding {
  const { streams } = options;
  const unary = unaryHandler(options.log);
  const implementation: streamGateway.StreamGatewayServer = {
    openStream: unary(
      async (r: streamGateway.OpenStreamRequest): Promise<streamGateway.OpenStreamResponse> => {
        const spec = specOf(r, options.allowInsecure);
        await streams.open(spec, r.participants.map(participantOf)).catch(sessionGone(r.streamId));
        return {};
      },
    ),
    updateStream: unary(
      async (r: streamGateway.UpdateStreamRequest): Promise<streamGateway.UpdateStreamResponse> => {
        const participants = r.participants.map(participantOf);
        await streams
          .require(r.streamId)
          .update(participants, r.reason || 'update', r.context)
          .catch(sessionGone(r.streamId));
        return {};
      },
    ),
    sendStreamDtmf: unary(
      async (r: streamGateway.SendStreamDtmfRequest): Promise<streamGateway.SendStreamDtmfResponse> => {
        streams.require(r.streamId, true)?.dtmf(r.legId, r.digit, r.durationMs);
        return {};
      },
    ),
    connectStreamOutput: unary(
      async (
        r: streamGateway.ConnectStreamOutputRequest,
      ): Promise<streamGateway.ConnectStreamOutputResponse> => {
        if (r.payloadType !== 0 && r.payloadType !== 8)
          throw new StreamValidationError(`payload type ${r.payloadType}: PCMU (0) or PCMA (8) only`, {});
        if (!r.rtpHost || r.rtpPort <= 0 || r.rtpPort > 65535)
          throw new StreamValidationError(`no RTP target in ${r.rtpHost}:${r.rtpPort}`, {});
        streams.require(r.streamId).connectOutput(r.rtpHost, r.rtpPort, r.payloadType);
        return {};
      },
    ),
    pauseStream: unary(
      async (r: streamGateway.PauseStreamRequest): Promise<streamGateway.PauseStreamResponse> => {
        streams.require(r.streamId).pause();
        return {};
      },
    ),
    resumeStream: unary(
      async (r: streamGateway.ResumeStreamRequest): Promise<streamGateway.ResumeStreamResponse> => {
        streams.require(r.streamId).resume();
        return {};
      },
    ),
    closeStream: unary(
      async (r: streamGateway.CloseStreamRequest): Promise<streamGateway.CloseStreamResponse> => {
        await streams.close(r.streamId, r.reason);
        return {};
      },
    ),
    holdsStream: unary(
      async (r: streamGateway.HoldsStreamRequest): Promise<streamGateway.HoldsStreamResponse> => ({
        held: streams.holds(r.streamId),
      }),
    ),
  };
  return {
    name: STREAM_GATEWAY_SERVICE,
    definition: streamGateway.StreamGatewayService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
