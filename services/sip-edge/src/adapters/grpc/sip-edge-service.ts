import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { sipEdge } from '@callctl/proto';
import { UnimplementedError } from '@callctl/errors';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { SipLegs } from '../../app/sip-legs.js';

/** Binds callctl.sipedge.v1.SipEdge to the leg actions; every failure goes through the shared status table. */
export function sipEdgeService(legs: SipLegs, log: Logger): ServiceBinding {
  const unary = unaryHandler(log);

  const implementation: sipEdge.SipEdgeServer = {
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
    referLeg: unary(async (r: sipEdge.ReferLegRequest): Promise<sipEdge.ReferLegResponse> => {
      return { sipStatus: await legs.refer(r) };
    }),
    notifyRefer: unary(async (r: sipEdge.NotifyReferRequest): Promise<sipEdge.NotifyReferResponse> => {
      await legs.notifyRefer(r);
      return {};
    }),
    // TODO(#16): hold and unbridge; a stub until they land.
    setLegDirection: unary(async (): Promise<sipEdge.SetLegDirectionResponse> => {
      throw new UnimplementedError('SetLegDirection is not implemented yet');
    }),
    unbridgeLegs: unary(async (): Promise<sipEdge.UnbridgeLegsResponse> => {
      throw new UnimplementedError('UnbridgeLegs is not implemented yet');
    }),
  };
  return {
    name: 'callctl.sipedge.v1.SipEdge',
    definition: sipEdge.SipEdgeService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
