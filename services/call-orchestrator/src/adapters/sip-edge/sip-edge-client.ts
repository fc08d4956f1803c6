import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { sipEdge } from '@callctl/proto';
import type { SipEdgePort } from '../../app/ports.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface SipEdgeClientOptions {
  /** host:port of sip-edge's gRPC server. */
  address: string;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

/**
 * BridgeLegs may take up to three re-INVITEs (2 s each in sip-edge) and three media-worker calls (3 s
 * each) when far ends are slow or a step is undone. With the usual deadline the orchestrator could give up
 * while sip-edge still joins the legs, which would then be joined but not recorded until the client retries.
 */
export const BRIDGE_LEGS_TIMEOUT_MS = 20_000;

/** SipEdgePort over sip-edge's gRPC SipEdge service (proto/callctl/sipedge/v1). */
export function sipEdgeClient(options: SipEdgeClientOptions): SipEdgePort & { close(): void } {
  const client = new sipEdge.SipEdgeClient(
    options.address,
    options.credentials ?? credentials.createInsecure(),
  );
  const call = <Req, Res>(method: Unary<Req, Res>, request: Req, timeoutMs = options.timeoutMs) =>
    callPeer('sip-edge', method.bind(client) as Unary<Req, Res>, request, timeoutMs);
  return {
    placeCall: async (r) => {
      const reply = await call<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(client.placeCall, {
        ...r,
        headers: {},
      });
      return { sipCallId: reply.sipCallId, ...(reply.media ? { media: reply.media } : {}) };
    },
    answerLeg: async (callId, legId, detectInbandDtmf = false) => {
      await call(client.answerLeg, { callId, legId, detectInbandDtmf });
    },
    sendDtmfInfo: async (callId, legId, digits, durationMs) => {
      await call(client.sendDtmfInfo, { callId, legId, digits, durationMs });
    },
    rejectLeg: async (callId, legId, sipStatus, reason) => {
      await call(client.rejectLeg, { callId, legId, sipStatus, reason });
    },
    hangupLeg: async (callId, legId, reason) => {
      await call(client.hangupLeg, { callId, legId, sipStatus: 0, reason });
    },
    bridgeLegs: async (callId, legAId, legBId, bridge) => {
      const reply = await call<sipEdge.BridgeLegsRequest, sipEdge.BridgeLegsResponse>(
        client.bridgeLegs,
        { callId, legAId, legBId, ...bridge },
        Math.max(options.timeoutMs, BRIDGE_LEGS_TIMEOUT_MS),
      );
      return { mediaSessionId: reply.mediaSessionId };
    },
    listLegs: async () => {
      const reply = await call<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(client.listLegs, {});
      return reply.legs.map((l) => ({ callId: l.callId, legId: l.legId, sipState: l.sipState }));
    },
    close: () => client.close(),
  };
}
