// A mixer started through its app object (startMixer) on free loopback ports, with a promise client of
// its gRPC API: what the int tests and the benchmark drive.
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { mixer } from '@callctl/proto';
import { startMixer, type RunningMixer } from '../../src/mixer.js';

type Unary<Req, Res> = (
  request: Req,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

export class MixerFixture {
  readonly client: mixer.MixerClient;

  private constructor(readonly service: RunningMixer) {
    this.client = new mixer.MixerClient(`127.0.0.1:${service.grpc.port}`, credentials.createInsecure());
  }

  static async start(): Promise<MixerFixture> {
    const log = createLogger({
      service: 'mixer-test',
      level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
    });
    return new MixerFixture(
      await startMixer({
        log,
        grpc: { host: '127.0.0.1', port: 0 },
        rtpHost: '127.0.0.1',
        rtpPortMin: 0,
        rtpPortMax: 0,
      }),
    );
  }

  get address(): string {
    return `127.0.0.1:${this.service.grpc.port}`;
  }

  createRoom(roomId: string, callId = roomId): Promise<mixer.CreateRoomResponse> {
    return this.call(this.client.createRoom, { roomId, callId });
  }

  addParticipant(
    roomId: string,
    participantId: string,
    options: { codec?: string; direction?: mixer.Direction } = {},
  ): Promise<mixer.AddParticipantResponse> {
    return this.call(this.client.addParticipant, {
      roomId,
      participantId,
      codec: options.codec ?? '',
      direction: options.direction ?? mixer.Direction.DIRECTION_SENDRECV,
    });
  }

  connectParticipant(
    roomId: string,
    participantId: string,
    remoteSdp: string,
  ): Promise<mixer.ConnectParticipantResponse> {
    return this.call(this.client.connectParticipant, { roomId, participantId, remoteSdp });
  }

  /** `rows`: listener → the sources it hears. */
  setHearing(roomId: string, rows: Record<string, string[]>): Promise<mixer.SetHearingResponse> {
    const hearing = Object.entries(rows).map(([listenerId, sourceIds]) => ({ listenerId, sourceIds }));
    return this.call(this.client.setHearing, { roomId, hearing });
  }

  removeParticipant(roomId: string, participantId: string): Promise<mixer.RemoveParticipantResponse> {
    return this.call(this.client.removeParticipant, { roomId, participantId });
  }

  deleteRoom(roomId: string): Promise<mixer.DeleteRoomResponse> {
    return this.call(this.client.deleteRoom, { roomId });
  }

  getRoom(roomId: string): Promise<mixer.GetRoomResponse> {
    return this.call(this.client.getRoom, { roomId });
  }

  async close(): Promise<void> {
    this.client.close();
    await this.service.close();
  }

  private call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.client, request, (error, response) => (error ? reject(error) : resolve(response))),
    );
  }
}
