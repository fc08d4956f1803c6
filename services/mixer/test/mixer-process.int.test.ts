// The built mixer (services/mixer/dist) as make dev and the image run it: it serves health, announces
// itself on NATS (instances.mixer.<name>) with the address peers reach it at, and SIGTERM closes its rooms
// and says `gone`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { connectBus, watchInstances, type NatsConnection } from '@callctl/bus';
import { health, mixer } from '@callctl/proto';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import {
  freePort,
  RtpEndpoint,
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
} from '@callctl/testing';

jest.setTimeout(60_000);

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

describe('the mixer process', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let service: ManagedProcess;
  let grpcPort: number;
  const instance = `mixer-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build it first (npx tsc -b)`);
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'mixer-process-test' });
    grpcPort = await freePort();
    service = startProcess(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        NATS_URL: nats.url,
        MIXER_INSTANCE: instance,
        MIXER_RTP_HOST: '127.0.0.1',
        MIXER_RTP_PORT_MIN: '0',
        MIXER_RTP_PORT_MAX: '0',
      },
    });
    await waitFor(
      'mixer ready',
      () => {
        if (service.child.exitCode !== null) throw new Error(`mixer exited:\n${service.output()}`);
        return service.output().includes('mixer ready');
      },
      20_000,
      50,
    );
  });

  afterAll(async () => {
    await service?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('serves health for the Mixer service and announces itself on instances.mixer.<name>', async () => {
    const client = new health.HealthClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const status = await new Promise<health.HealthCheckResponse>((resolve, reject) =>
      client.check({ service: 'callctl.mixer.v1.Mixer' }, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    client.close();
    expect(status.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    const watch = await watchInstances({ nc, kind: 'mixer' });
    try {
      const announced = await waitFor('the announcement', () =>
        watch.list().find((i) => i.name === instance),
      );
      expect(announced).toMatchObject({ address: `127.0.0.1:${grpcPort}` });
    } finally {
      watch.close();
    }
  });

  it('closes its rooms and says gone on SIGTERM', async () => {
    const client = new mixer.MixerClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const roomId = `call-${randomUUID()}`;
    await new Promise((resolve, reject) =>
      client.createRoom({ roomId, callId: roomId }, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    const added = await new Promise<mixer.AddParticipantResponse>((resolve, reject) =>
      client.addParticipant(
        { roomId, participantId: 'sup', codec: 'PCMU', direction: mixer.Direction.DIRECTION_SENDRECV },
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
    client.close();
    const party = await RtpEndpoint.open({ telephoneEvent: false });
    const watch = await watchInstances({ nc, kind: 'mixer' });
    try {
      party.useRemote(added.sdp);
      party.startTone(700);
      await waitFor('the mix (silence) at the participant', () => party.packetsReceived > 5);
      service.child.kill('SIGTERM');
      await waitFor('the mixer to exit', () => service.child.exitCode !== null, 10_000);
      expect(service.child.exitCode).toBe(0);
      party.clearReceived();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(party.packetsReceived).toBe(0);
      expect(service.output()).toContain('"room deleted"');
      await waitFor('gone', () => !watch.list().some((i) => i.name === instance));
    } finally {
      watch.close();
      await party.close();
    }
  });
});
