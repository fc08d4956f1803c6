import type { Deadline, UntypedServiceImplementation } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { EngineStatus } from '../rtpengine/engine-status.js';
import type { CodecPolicy } from '../../app/ports.js';
import type { MediaSessions } from '../../app/media-sessions.js';
import type { Playback } from '../../app/operations/playback.js';
import type { Forks } from '../../app/operations/forks.js';
import type { MixerRoutes } from '../../app/operations/mixer-routes.js';
import type { MediaEvents } from '../../app/media-events.js';
import { TimeoutError } from '../../domain/errors.js';
import type { MediaProfile } from '../../domain/media-profile.js';

export interface MediaWorkerHandlers {
  engineStatus(): Promise<EngineStatus>;
  sessions: MediaSessions;
  playback: Playback;
  forks: Forks;
  routes: MixerRoutes;
  events: MediaEvents;
  /** Resolves once the facts taken for the call are published (FactReporting.reportedForCall). */
  factsReported(callId: string): Promise<void>;
  log: Logger;
}

function codecs(options: media.CodecOptions | undefined): CodecPolicy | undefined {
  return options ? { mask: options.mask, transcode: options.transcode } : undefined;
}

const PROFILES: ReadonlyMap<media.MediaProfile, MediaProfile> = new Map([
  [media.MediaProfile.MEDIA_PROFILE_PLAIN, 'plain'],
  [media.MediaProfile.MEDIA_PROFILE_SDES, 'sdes'],
  [media.MediaProfile.MEDIA_PROFILE_WEBRTC, 'webrtc'],
]);

/** `{ [key]: profile }`, or nothing for UNSPECIFIED (rtpengine keeps the SDP's own transport). */
function profileAs<K extends string>(
  key: K,
  profile: media.MediaProfile | undefined,
): { [P in K]?: MediaProfile } {
  const known = profile === undefined ? undefined : PROFILES.get(profile);
  return (known ? { [key]: known } : {}) as { [P in K]?: MediaProfile };
}

/** `work`, or a TimeoutError (DEADLINE_EXCEEDED) at the request's deadline, so no handler outlives it. */
async function withinDeadline(work: Promise<void>, deadline: Deadline, context: { callId: string }) {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError('facts of the call not published within the deadline', context)),
      Math.max(0, at - Date.now()),
    );
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Binds the MediaWorker gRPC service to the worker's handlers; every failure goes through the shared gRPC status mapping. */
export function mediaWorkerService(handlers: MediaWorkerHandlers): ServiceBinding {
  const { sessions, playback, forks, routes, events, log } = handlers;
  const unary = unaryHandler(log);

  const implementation: media.MediaWorkerServer = {
    getEngineStatus: unary(() => handlers.engineStatus()),
    offerRecordingFork: unary(async (r: media.OfferRecordingForkRequest) => ({
      sdp: await forks.offerRecording({
        sessionId: r.sessionId,
        forkId: r.forkId,
        fromTags: r.fromTags,
        labels: r.labels,
        callId: r.callId,
      }),
    })),
    answerRecordingFork: unary(async (r: media.AnswerRecordingForkRequest) => {
      await forks.answerRecording(r);
      return {};
    }),
    sendDtmf: unary((r: media.SendDtmfRequest) => sessions.sendDtmf(r)),
    startFork: unary(async (r: media.StartForkRequest) => ({
      parties: await forks.start({
        sessionId: r.sessionId,
        forkId: r.forkId,
        fromTags: r.fromTags,
        sinkAddress: r.sinkAddress,
        sinkPorts: r.sinkPorts,
        wideband: r.wideband,
        callId: r.callId,
      }),
    })),
    routeToMixer: unary(async (r: media.RouteToMixerRequest) => ({ sdp: await routes.route(r) })),
    restoreRoute: unary(async (r: media.RestoreRouteRequest) => {
      await routes.restore(r.sessionId, r.tag);
      return {};
    }),
    stopFork: unary(async (r: media.StopForkRequest) => {
      await forks.stop(r.sessionId, r.forkId);
      return {};
    }),
    setDtmfDetection: unary(async (r: media.SetDtmfDetectionRequest) => {
      await sessions.setDtmfDetection(r);
      return {};
    }),
    offer: unary(async (r: media.OfferRequest) => ({
      sdp: await sessions.offer({
        sessionId: r.sessionId,
        fromTag: r.fromTag,
        sdp: r.sdp,
        codecs: codecs(r.codecs),
        detectDtmf: r.detectDtmf,
        callId: r.callId,
        ...profileAs('profile', r.profile),
      }),
    })),
    answer: unary(async (r: media.AnswerRequest) => ({
      sdp: await sessions.answer({
        sessionId: r.sessionId,
        fromTag: r.fromTag,
        toTag: r.toTag,
        sdp: r.sdp,
        callId: r.callId,
        ...profileAs('profile', r.profile),
      }),
    })),
    answerLocally: unary((r: media.AnswerLocallyRequest) =>
      sessions.answerLocally({
        sessionId: r.sessionId,
        fromTag: r.fromTag,
        sdp: r.sdp,
        localTag: r.localTag,
        codecs: codecs(r.codecs),
        detectDtmf: r.detectDtmf,
        callId: r.callId,
        ...profileAs('offererProfile', r.profile),
        ...(r.echo === media.MediaEcho.MEDIA_ECHO_TO_OFFERER ? { mediaEcho: 'backwards' as const } : {}),
      }),
    ),
    delete: unary(async (r: media.DeleteRequest) => {
      await (r.tag ? sessions.deleteParty(r.sessionId, r.tag) : sessions.delete(r.sessionId));
      return {};
    }),
    play: unary((r: media.PlayRequest) => sessions.play(r)),
    stopPlay: unary(async (r: media.StopPlayRequest) => ({
      playbackId: (await playback.stop(r.sessionId, r.tag)) ?? '',
    })),
    startEcho: unary(async (r: media.StartEchoRequest) => {
      await sessions.setEcho(r.sessionId, r.tag, true);
      return {};
    }),
    stopEcho: unary(async (r: media.StopEchoRequest) => {
      await sessions.setEcho(r.sessionId, r.tag, false);
      return {};
    }),
    blockMedia: unary(async (r: media.BlockMediaRequest) => {
      await sessions.setMediaBlocked(r.sessionId, r.tag, true);
      return {};
    }),
    unblockMedia: unary(async (r: media.UnblockMediaRequest) => {
      await sessions.setMediaBlocked(r.sessionId, r.tag, false);
      return {};
    }),
    query: unary((r: media.QueryRequest) => sessions.query(r.sessionId)),
    flushFacts: unary(async (r: media.FlushFactsRequest, call) => {
      await withinDeadline(handlers.factsReported(r.callId), call.getDeadline(), { callId: r.callId });
      return {};
    }),
    watchMediaEvents: (call) => {
      const only = call.request.sessionId;
      const stop = events.listen((event) => {
        if (!only || event.sessionId === only) call.write({ event });
      });
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
  return {
    name: 'callctl.media.v1.MediaWorker',
    definition: media.MediaWorkerService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
