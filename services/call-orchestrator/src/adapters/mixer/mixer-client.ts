import type { ChannelCredentials } from '@grpc/grpc-js';
import { mixer } from '@callctl/proto';
import { OwnerDirectory, PeerClients, type PeerInstance, type PeerInstances } from '@callctl/service';
import type { MixerDirection, MixerPort } from '../../app/ports.js';
import { isPeerError, PEER_ERROR_CODES } from '../../app/errors.js';
import { callAt } from '../peer-call.js';

export interface MixerClientOptions {
  /** host:port of "any" mixer instance (MIXER_GRPC): used while no instance announced itself. */
  address: string;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The mixer instances alive now (announcements on `instances.mixer.<name>`). @default none: `address` */
  instances?: PeerInstances;
}

const NO_INSTANCES: PeerInstances = { list: () => [] };
const DIRECTIONS: Record<MixerDirection, mixer.Direction> = {
  sendrecv: mixer.Direction.DIRECTION_SENDRECV,
  recvonly: mixer.Direction.DIRECTION_RECVONLY,
};

/**
 * MixerPort over the mixer's gRPC (proto/callctl/mixer/v1), across its instances. A room lives in the
 * memory of the instance that created it, so every request on a call's room goes to that one: the one this
 * orchestrator created it on, else the one that says it holds it (GetRoom), else (a new room) the next
 * instance in turn.
 */
export function mixerClient(options: MixerClientOptions): MixerPort & { close(): void } {
  const clients = PeerClients.of(mixer.MixerClient, options.credentials);
  const call = callAt('mixer', clients, options.timeoutMs);
  const owners = new OwnerDirectory({
    instances: options.instances ?? NO_INSTANCES,
    fallbackAddress: options.address,
    probe: async (address, roomId) => {
      try {
        await call<mixer.GetRoomRequest, mixer.GetRoomResponse>({ name: '', address }, (c) => c.getRoom, {
          roomId,
        });
        return true;
      } catch (error) {
        if (isPeerError(error, PEER_ERROR_CODES.notFound)) return false;
        throw error;
      }
    },
  });
  // A mixer keeps its rooms in memory only: one that died (or cannot be asked) holds nothing to wait for,
  // so a room nobody alive holds is a new room on the next instance.
  const holderOf = async (callId: string): Promise<PeerInstance> =>
    owners.known(callId) ?? (await owners.find(callId)).owner ?? owners.assign(callId);
  const on = async <Req, Res>(callId: string, method: (client: mixer.MixerClient) => unknown, request: Req) =>
    call<Req, Res>(await holderOf(callId), method, request);
  return {
    addressOf: async (callId) => (await holderOf(callId)).address,
    createRoom: async (callId) => {
      await on(callId, (c) => c.createRoom, { roomId: callId, callId });
    },
    addParticipant: async (callId, participantId, direction, codec = 'PCMU') => {
      const r = await on<mixer.AddParticipantRequest, mixer.AddParticipantResponse>(
        callId,
        (c) => c.addParticipant,
        { roomId: callId, participantId, codec, direction: DIRECTIONS[direction] },
      );
      return { rtpHost: r.rtpHost, rtpPort: r.rtpPort, sdp: r.sdp };
    },
    connectParticipant: async (callId, participantId, remoteSdp) => {
      await on(callId, (c) => c.connectParticipant, { roomId: callId, participantId, remoteSdp });
    },
    setHearing: async (callId, rows) => {
      await on(callId, (c) => c.setHearing, {
        roomId: callId,
        hearing: rows.map((r) => ({ listenerId: r.listenerId, sourceIds: [...r.sourceIds] })),
      });
    },
    removeParticipant: async (callId, participantId) => {
      await on(callId, (c) => c.removeParticipant, { roomId: callId, participantId });
    },
    deleteRoom: async (callId) => {
      try {
        await on(callId, (c) => c.deleteRoom, { roomId: callId });
      } finally {
        owners.forget(callId); // a later monitor of the call makes a new room, on a live instance
      }
    },
    close: () => clients.close(),
  };
}
