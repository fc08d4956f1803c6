import type { ChannelCredentials } from '@grpc/grpc-js';
import { sipEdge } from '@callctl/proto';
import { OwnerDirectory, PeerClients, type PeerInstance, type PeerInstances } from '@callctl/service';
import type { LegDirectionChoice, SipEdgePort } from '../../app/ports.js';
import { PEER_ERROR_CODES, PeerError } from '../../app/errors.js';
import { callPeer, ownerOf, type Unary } from '../peer-call.js';

export interface SipEdgeClientOptions {
  /** host:port of "any" sip-edge (SIP_EDGE_GRPC): used while no instance has announced itself. */
  address: string;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The sip-edge instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
}

/**
 * BridgeLegs may take up to three re-INVITEs (2 s each in sip-edge) and three media-worker calls (3 s
 * each) when far ends are slow or a step is undone. With the usual deadline the orchestrator could give up
 * while sip-edge still joins the legs, which would then be joined but not recorded until the client retries.
 */
export const BRIDGE_LEGS_TIMEOUT_MS = 20_000;

/** SetLegDirection: a 2 s re-INVITE, and after a 491 a wait of up to 4 s and a second one. */
export const REINVITE_WITH_GLARE_TIMEOUT_MS = 10_000;

const DIRECTIONS: Record<LegDirectionChoice, sipEdge.MediaDirection> = {
  sendrecv: sipEdge.MediaDirection.MEDIA_DIRECTION_SENDRECV,
  sendonly: sipEdge.MediaDirection.MEDIA_DIRECTION_SENDONLY,
  inactive: sipEdge.MediaDirection.MEDIA_DIRECTION_INACTIVE,
};

const NO_INSTANCES: PeerInstances = { list: () => [] };

/**
 * SipEdgePort over sip-edge's gRPC SipEdge service (proto/callctl/sipedge/v1), across its instances. The
 * SIP engine beside each instance holds the dialogs of its legs, and a call's legs stay on one instance
 * (a dialled leg is offered the media of the leg it joins, a bridge re-INVITEs both), so every command on
 * a call goes to the instance that holds it: the one a new call was placed through, or the one that
 * answers ListLegs for the call (an inbound call, a call another orchestrator placed). New calls are
 * spread over the live instances in turn.
 */
export function sipEdgeClient(options: SipEdgeClientOptions): SipEdgePort & { close(): void } {
  const clients = PeerClients.of(sipEdge.SipEdgeClient, options.credentials);
  const listLegs = (address: string, callId: string) => {
    const client = clients.at(address);
    return callPeer<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(
      'sip-edge',
      client.listLegs.bind(client) as Unary<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>,
      { callId },
      options.timeoutMs,
    );
  };
  const owners = new OwnerDirectory({
    instances: options.instances ?? NO_INSTANCES,
    fallbackAddress: options.address,
    probe: async (address, callId) => (await listLegs(address, callId)).legs.length > 0,
  });

  /** The instance holding the call: NOT_FOUND when none does, UNAVAILABLE when that cannot be told. */
  const ownerOfCall = async (callId: string): Promise<PeerInstance> => {
    const owner = await ownerOf('sip-edge', owners, callId, `call ${callId}`);
    if (owner) return owner;
    throw new PeerError('sip-edge', PEER_ERROR_CODES.notFound, `no sip-edge instance holds call ${callId}`);
  };
  const call = <Req, Res>(
    at: PeerInstance,
    method: (client: sipEdge.SipEdgeClient) => Unary<Req, Res>,
    request: Req,
    timeoutMs = options.timeoutMs,
  ) => {
    const client = clients.at(at.address);
    return callPeer('sip-edge', method(client).bind(client) as Unary<Req, Res>, request, timeoutMs);
  };
  const onCall = async <Req, Res>(
    callId: string,
    method: (client: sipEdge.SipEdgeClient) => Unary<Req, Res>,
    request: Req,
    timeoutMs?: number,
  ) => call(await ownerOfCall(callId), method, request, timeoutMs);

  return {
    placeCall: async (r) => {
      // A leg dialled to join another goes where that leg is; the first leg of a call, anywhere.
      const at = r.bridgeWithLegId
        ? await ownerOfCall(r.callId)
        : (owners.known(r.callId) ?? owners.assign(r.callId));
      const reply = await call<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(at, (c) => c.placeCall, {
        ...r,
        headers: { ...r.headers },
      });
      return { sipCallId: reply.sipCallId, ...(reply.media ? { media: reply.media } : {}) };
    },
    answerLeg: async (callId, legId, detectInbandDtmf = false) => {
      await onCall(callId, (c) => c.answerLeg, { callId, legId, detectInbandDtmf });
    },
    sendDtmfInfo: async (callId, legId, digits, durationMs) => {
      await onCall(callId, (c) => c.sendDtmfInfo, { callId, legId, digits, durationMs });
    },
    rejectLeg: async (callId, legId, sipStatus, reason) => {
      await onCall(callId, (c) => c.rejectLeg, { callId, legId, sipStatus, reason });
    },
    hangupLeg: async (callId, legId, reason, cause) => {
      await onCall(callId, (c) => c.hangupLeg, {
        callId,
        legId,
        sipStatus: 0,
        reason,
        ...(cause !== undefined ? { cause } : {}),
      });
    },
    bridgeLegs: async (callId, legAId, legBId, bridge) => {
      const reply = await onCall<sipEdge.BridgeLegsRequest, sipEdge.BridgeLegsResponse>(
        callId,
        (c) => c.bridgeLegs,
        { callId, legAId, legBId, ...bridge },
        Math.max(options.timeoutMs, BRIDGE_LEGS_TIMEOUT_MS),
      );
      return { mediaSessionId: reply.mediaSessionId };
    },
    // Every live instance's legs; one that does not answer (or died lately, and may come back with its legs)
    // fails the whole list, so that its legs are not taken for gone (the reconciler then leaves everything).
    listLegs: async () => {
      const missing = owners.missing();
      if (missing.length > 0)
        throw new PeerError(
          'sip-edge',
          PEER_ERROR_CODES.unavailable,
          `${missing.join(', ')} not heard lately`,
        );
      const replies = await Promise.all(owners.candidates().map((at) => listLegs(at.address, '')));
      return replies.flatMap((reply) =>
        reply.legs.map((l) => ({ callId: l.callId, legId: l.legId, sipState: l.sipState })),
      );
    },
    legsOfCall: async (callId) => {
      const reply = await listLegs((await ownerOfCall(callId)).address, callId);
      return reply.legs.map((l) => ({ legId: l.legId, sipState: l.sipState }));
    },
    setLegDirection: async (callId, legId, direction) => {
      const reply = await onCall<sipEdge.SetLegDirectionRequest, sipEdge.SetLegDirectionResponse>(
        callId,
        (c) => c.setLegDirection,
        { callId, legId, direction: DIRECTIONS[direction] },
        // One re-INVITE, and a 491 retried once after up to 4 s (RFC 3261 §14.1).
        Math.max(options.timeoutMs, REINVITE_WITH_GLARE_TIMEOUT_MS),
      );
      return { answeredDirection: reply.answeredDirection };
    },
    unbridgeLegs: async (callId, legAId, legBId, unbridge = {}) => {
      const reply = await onCall<sipEdge.UnbridgeLegsRequest, sipEdge.UnbridgeLegsResponse>(
        callId,
        (c) => c.unbridgeLegs,
        { callId, legAId, legBId, holdA: unbridge.holdA ?? false },
        Math.max(options.timeoutMs, BRIDGE_LEGS_TIMEOUT_MS),
      );
      return {
        ...(reply.mediaA ? { mediaA: reply.mediaA } : {}),
        ...(reply.mediaB ? { mediaB: reply.mediaB } : {}),
      };
    },
    referLeg: async (r) => {
      const reply = await onCall<sipEdge.ReferLegRequest, sipEdge.ReferLegResponse>(
        r.callId,
        (c) => c.referLeg,
        r,
      );
      return { sipStatus: reply.sipStatus };
    },
    notifyRefer: async (callId, legId, referId, sipStatus, reason = '') => {
      await onCall(callId, (c) => c.notifyRefer, { callId, legId, referId, sipStatus, reason });
    },
    moveLeg: async (callId, legId, toCallId) => {
      await onCall(callId, (c) => c.moveLeg, { callId, legId, toCallId });
    },
    // A recording session lives on the instance that holds the call's legs.
    startRecordingSession: async (r) => {
      const reply = await onCall<sipEdge.StartRecordingSessionRequest, sipEdge.StartRecordingSessionResponse>(
        r.callId,
        (c) => c.startRecordingSession,
        {
          sessionId: r.sessionId,
          callId: r.callId,
          srsUri: r.srsUri,
          sdp: r.sdp,
          metadata: r.metadata,
          headers: { ...r.headers },
          timeoutMs: r.timeoutMs,
        },
        // sip-edge's own timer reports "SIP 408" at timeout_ms: our deadline leaves it the time to say so.
        r.timeoutMs + options.timeoutMs,
      );
      return { answerSdp: reply.answerSdp, sipCallId: reply.sipCallId };
    },
    updateRecordingSession: async (r) => {
      const reply = await onCall<
        sipEdge.UpdateRecordingSessionRequest,
        sipEdge.UpdateRecordingSessionResponse
      >(
        r.callId,
        (c) => c.updateRecordingSession,
        {
          sessionId: r.sessionId,
          sdp: r.sdp,
          metadata: r.metadata,
          direction: r.direction
            ? DIRECTIONS[r.direction]
            : sipEdge.MediaDirection.MEDIA_DIRECTION_UNSPECIFIED,
        },
        Math.max(options.timeoutMs, REINVITE_WITH_GLARE_TIMEOUT_MS),
      );
      return { answerSdp: reply.answerSdp };
    },
    // After the call ended no instance holds its legs: every live instance is told (an unknown session is OK).
    endRecordingSession: async (callId, sessionId) => {
      const known = owners.known(callId);
      const at = known ? [known] : owners.candidates();
      await Promise.all(at.map((instance) => call(instance, (c) => c.endRecordingSession, { sessionId })));
    },
    close: () => clients.close(),
  };
}
