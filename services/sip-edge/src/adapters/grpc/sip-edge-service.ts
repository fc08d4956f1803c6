import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { sipEdge } from '@callctl/proto';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { PlatformDirection } from '../../app/leg-direction.js';
import type { SipLegs } from '../../app/sip-legs.js';
import type { RecordingSessions } from '../../app/recording-sessions.js';
import type { RecordingMetadata } from '@callctl/sip';

/** MediaDirection on the wire to the leg modules' names; UNSPECIFIED (or unknown) is none. */
const DIRECTIONS = new Map<sipEdge.MediaDirection, PlatformDirection>([
  [sipEdge.MediaDirection.MEDIA_DIRECTION_SENDRECV, 'sendrecv'],
  [sipEdge.MediaDirection.MEDIA_DIRECTION_SENDONLY, 'sendonly'],
  [sipEdge.MediaDirection.MEDIA_DIRECTION_INACTIVE, 'inactive'],
]);

/** SiprecMetadata on the wire as libs/sip's rs-metadata writer takes it. */
function recordingMetadata(m: sipEdge.SiprecMetadata | undefined): RecordingMetadata {
  return {
    sessionId: m?.sessionId ?? '',
    sipSessionIds: m?.sipSessionIds ?? [],
    participants: (m?.participants ?? []).map((p) => ({
      participantId: p.participantId,
      aor: p.aor,
      ...(p.name ? { name: p.name } : {}),
      sendStreamIds: p.sendStreamIds,
      recvStreamIds: p.recvStreamIds,
    })),
    streams: (m?.streams ?? []).map((s) => ({ streamId: s.streamId, label: s.label })),
    extensionData: m?.extensionData ?? {},
  };
}

/** Binds callctl.sipedge.v1.SipEdge to the leg actions; every failure goes through the shared status table. */
export function sipEdgeService(legs: SipLegs, recordings: RecordingSessions, log: Logger): ServiceBinding {
  const unary = unaryHandler(log);

  const implementation: sipEdge.SipEdgeServer = {
    startRecordingSession: unary(
      async (r: sipEdge.StartRecordingSessionRequest): Promise<sipEdge.StartRecordingSessionResponse> =>
        recordings.start({
          sessionId: r.sessionId,
          callId: r.callId,
          srsUri: r.srsUri,
          sdp: r.sdp,
          metadata: recordingMetadata(r.metadata),
          headers: r.headers,
          timeoutMs: r.timeoutMs,
        }),
    ),
    updateRecordingSession: unary(
      async (r: sipEdge.UpdateRecordingSessionRequest): Promise<sipEdge.UpdateRecordingSessionResponse> => {
        const direction = DIRECTIONS.get(r.direction);
        return {
          answerSdp: await recordings.update({
            sessionId: r.sessionId,
            sdp: r.sdp,
            metadata: recordingMetadata(r.metadata),
            ...(direction ? { direction } : {}),
          }),
        };
      },
    ),
    endRecordingSession: unary(async (r: sipEdge.EndRecordingSessionRequest) => {
      await recordings.end(r.sessionId);
      return {};
    }),
    sendDtmfInfo: unary(async (r: sipEdge.SendDtmfInfoRequest): Promise<sipEdge.SendDtmfInfoResponse> => {
      await legs.sendDtmfInfo(r.callId, r.legId, r.digits, r.durationMs);
      return {};
    }),
    answerLeg: unary(async (r: sipEdge.AnswerLegRequest) => {
      await legs.answer(r.callId, r.legId, { detectInbandDtmf: r.detectInbandDtmf });
      return {};
    }),
    rejectLeg: unary(async (r: sipEdge.RejectLegRequest) => {
      await legs.reject(r.callId, r.legId, r.sipStatus, r.reason);
      return {};
    }),
    ringLeg: unary(async (r: sipEdge.RingLegRequest) => {
      await legs.ring(r.callId, r.legId);
      return {};
    }),
    placeCall: unary(async (r: sipEdge.PlaceCallRequest): Promise<sipEdge.PlaceCallResponse> => {
      const placed = await legs.place({
        callId: r.callId,
        legId: r.legId,
        toUri: r.toUri,
        fromUri: r.fromUri,
        ringTimeoutMs: r.ringTimeoutMs,
        bridgeWithLegId: r.bridgeWithLegId,
        headers: r.headers,
      });
      return { sipCallId: placed.sipCallId, media: { ...placed.media } };
    }),
    hangupLeg: unary(async (r: sipEdge.HangupLegRequest) => {
      await legs.hangup(r.callId, r.legId, r.sipStatus, r.reason, r.cause);
      return {};
    }),
    bridgeLegs: unary(async (r: sipEdge.BridgeLegsRequest) => {
      const mediaSessionId = await legs.bridge(r.callId, r.legAId, r.legBId, {
        bridgeId: r.bridgeId,
        idempotencyKey: r.idempotencyKey,
      });
      return { mediaSessionId };
    }),
    listLegs: unary(async (r: sipEdge.ListLegsRequest) => ({ legs: legs.list(r.callId || undefined) })),
    setLegDirection: unary(
      async (r: sipEdge.SetLegDirectionRequest): Promise<sipEdge.SetLegDirectionResponse> => ({
        answeredDirection: await legs.setDirection(r.callId, r.legId, DIRECTIONS.get(r.direction)),
      }),
    ),
    unbridgeLegs: unary(async (r: sipEdge.UnbridgeLegsRequest): Promise<sipEdge.UnbridgeLegsResponse> => {
      const media = await legs.unbridge(r.callId, r.legAId, r.legBId, r.holdA);
      return { mediaA: { ...media.a }, mediaB: { ...media.b } };
    }),
    referLeg: unary(async (r: sipEdge.ReferLegRequest): Promise<sipEdge.ReferLegResponse> => {
      return { sipStatus: await legs.refer(r) };
    }),
    notifyRefer: unary(async (r: sipEdge.NotifyReferRequest): Promise<sipEdge.NotifyReferResponse> => {
      await legs.notifyRefer(r);
      return {};
    }),
    moveLeg: unary((r: sipEdge.MoveLegRequest): Promise<sipEdge.MoveLegResponse> =>
      Promise.resolve().then(() => {
        legs.move(r);
        return {};
      }),
    ),
  };
  return {
    name: 'callctl.sipedge.v1.SipEdge',
    definition: sipEdge.SipEdgeService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
