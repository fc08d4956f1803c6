import { credentials } from '@grpc/grpc-js';
import { sipEdge } from '@callctl/proto';
import type { SipEdgePort } from '../../app/ports.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface SipEdgeClientOptions {
  /** host:port of sip-edge's gRPC server. */
  address: string;
  /** Deadline of each call. */
  timeoutMs: number;
}

/** SipEdgePort over sip-edge's gRPC SipEdge service (proto/callctl/sipedge/v1). */
export function sipEdgeClient(options: SipEdgeClientOptions): SipEdgePort & { close(): void } {
  const client = new sipEdge.SipEdgeClient(options.address, credentials.createInsecure());
  const call = <Req, Res>(method: Unary<Req, Res>, request: Req) =>
    callPeer('sip-edge', method.bind(client) as Unary<Req, Res>, request, options.timeoutMs);
  return {
    placeCall: async (r) => {
      const reply = await call<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(client.placeCall, {
        ...r,
        headers: {},
      });
      return { sipCallId: reply.sipCallId };
    },
    answerLeg: async (callId, legId) => {
      await call(client.answerLeg, { callId, legId });
    },
    rejectLeg: async (callId, legId, sipStatus, reason) => {
      await call(client.rejectLeg, { callId, legId, sipStatus, reason });
    },
    hangupLeg: async (callId, legId, reason) => {
      await call(client.hangupLeg, { callId, legId, sipStatus: 0, reason });
    },
    bridgeLegs: async (callId, legAId, legBId) => {
      await call(client.bridgeLegs, { callId, legAId, legBId });
    },
    listLegs: async () => {
      const reply = await call<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(client.listLegs, {});
      return reply.legs.map((l) => ({ callId: l.callId, legId: l.legId }));
    },
    close: () => client.close(),
  };
}
