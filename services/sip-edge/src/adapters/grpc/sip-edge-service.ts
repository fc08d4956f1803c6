import { UnimplementedError } from '@callctl/errors';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { sipEdge } from '@callctl/proto';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { PlatformDirection } from '../../app/leg-direction.js';
import type { SipLegs } from '../../app/sip-legs.js';

/** MediaDirection on the wire to the leg modules' names; UNSPECIFIED (or unknown) is none. */
const DIRECTIONS = new Map<sipEdge.MediaDirection, PlatformDirection>([
  [sipEdge.MediaDirection.MEDIA_DIRECTION_SENDRECV, 'sendrecv'],
  [sipEdge.MediaDirection.MEDIA_DIRECTION_SENDONLY, 'sendonly'],
  [sipEdge.MediaDirection.MEDIA_DIRECTION_INACTIVE, 'inactive'],
]);

/** Binds callctl.sipedge.v1.SipEdge to the leg actions; every failure goes through the shared status table. */
export function sipEdgeService(legs: SipLegs, log: Logger): ServiceBinding {
  const unary = unaryHandler(log);

  const implementation: sipEdge.SipEdgeServer = {
    // Issue 18 (SIPREC): contract stubs, implemented by the SIPREC work.
    startRecordingSession: unary(async (): Promise<sipEdge.StartRecordingSessionResponse> => {
      throw new UnimplementedError('StartRecordingSession is not implemented yet');
    }),
    updateRecordingSession: unary(async (): Promise<sipEdge.UpdateRecordingSessionResponse> => {
      throw new UnimplementedError('UpdateRecordingSession is not implemented yet');
    }),
    endRecordingSession: unary(async (): Promise<sipEdge.EndRecordingSessionResponse> => {
      throw new UnimplementedError('EndRecordingSession is not implemented yet');
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
      await legs.hangup(r.callId, r.legId, r.sipStatus, r.reason);
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
