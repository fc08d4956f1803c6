// A bidirectional stream (a voice bot) through the real mixer (services/mixer, run as its own process):
// the bot is a recvonly PCMU member of the call's room, the stream gateway (a stand-in speaking its gRPC
// contract) is told the bot participant's RTP host and port, and what it sends there (a 2000 Hz tone) is
// heard by the parties, whose routes through the mixer end at RTP endpoints of the test (a stand-in of the
// media-worker's RouteToMixer pointing them at the mixer); the parties keep hearing each other (700 Hz
// from A, 1300 Hz from B). A leg stream's bot is heard by its leg only.
import { join } from 'node:path';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { mixer as mixerProto } from '@callctl/proto';
import { credentials } from '@grpc/grpc-js';
import {
  freePort,
  isBound,
  RtpEndpoint,
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
} from '@callctl/testing';
import { MediaWorkerRouteStandIn } from './support/media-worker-route-stand-in.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';
import { StreamGatewayStandIn } from './support/stream-gateway-stand-in.js';

const log = createLogger({ service: 'streams-bidirectional-test', level: 'silent' });
const MIXER_MAIN = join(__dirname, '../../mixer/dist/src/main.js');
/** A tone counts as heard above this share of the received power (Goertzel, last 400 ms). */
const HEARD = 0.2;
/** Judged on a second of audio at least: a few packets in say nothing. */
const enough = (...endpoints: RtpEndpoint[]) => endpoints.every((e) => e.received.length >= 8000);

describe('bidirectional streams through the mixer', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let gateway: StreamGatewayStandIn;
  let worker: MediaWorkerRouteStandIn;
  let mixer: ManagedProcess;
  let mixerAddress: string;
  let h: Harness;
  const bots: RtpEndpoint[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'stream-gateway-stand-in' });
    gateway = await StreamGatewayStandIn.start(nc, log);
    // The bot's audio: what the real gateway would play from the endpoint's `media` frames, sent to the
    // target ConnectStreamOutput names.
    gateway.onOutput = (r) => {
      void RtpEndpoint.open().then((bot) => {
        bots.push(bot);
        bot.useRemote(`c=IN IP4 ${r.rtpHost}\r\nm=audio ${r.rtpPort} RTP/AVP ${r.payloadType}\r\n`);
        bot.startTone(2000);
      });
    };
    worker = await MediaWorkerRouteStandIn.start(log);
    const port = await freePort();
    mixerAddress = `127.0.0.1:${port}`;
    mixer = startProcess(process.execPath, [MIXER_MAIN], {
      env: {
        PATH: process.env.PATH,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        GRPC_HEALTH_PORT: String(await freePort()),
        MIXER_RTP_HOST: '127.0.0.1',
        // Any port the OS gives: clear of the stack's and the other tests' ranges.
        MIXER_RTP_PORT_MIN: '0',
        MIXER_RTP_PORT_MAX: '0',
        LOG_LEVEL: 'warn',
      },
    });
    await waitFor('mixer listening', async () => isBound('tcp', port), 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${mixer.output()}`);
    });
    h = await startHarness({
      nats,
      mediaWorker: { address: worker.address, mediaFilesDir: '/nonexistent' },
      orchestrator: {
        mixer: { address: mixerAddress, timeoutMs: 3000 },
        streamGateway: { address: gateway.address, timeoutMs: 3000 },
      },
    });
  }, 30_000);
  afterAll(async () => {
    for (const bot of bots) await bot.close();
    await h?.stop();
    await mixer?.stop();
    await worker.stop();
    await gateway.stop();
    await nc.drain().catch(() => nc.close());
    await nats.stop();
  });

  const startStream = (callId: string, legId = '') =>
    h.client.startStream({ callId, legId, url: 'wss://bot.example.com/agent', bidirectional: true });
  const room = (callId: string) =>
    new Promise<mixerProto.GetRoomResponse>((resolve, reject) => {
      const client = new mixerProto.MixerClient(mixerAddress, credentials.createInsecure());
      client.getRoom({ roomId: callId }, (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(response);
      });
    });

  /** A caller A bridged with B, each an RTP endpoint (routes are asked for once a stream starts). */
  async function bridgedCall() {
    const call = await h.bridgedCall();
    return { ...call, partyA: await worker.party(call.a), partyB: await worker.party(call.b) };
  }
  /** Once the media-worker was asked to route them (their endpoints then know the mixer), the tones start. */
  const tonesOnceRouted = async (...parties: Array<[string, RtpEndpoint, number]>) => {
    await waitFor('parties routed through the mixer', async () =>
      parties.every(([tag]) => worker.requests.includes(`RouteToMixer ${tag} in-${tag}`)),
    );
    for (const [, endpoint, frequency] of parties) endpoint.startTone(frequency);
  };

  it('a call stream: the bot is a recvonly member each party hears, beside the other party', async () => {
    const { callId, a, b, partyA, partyB } = await bridgedCall();
    const { streamId } = await startStream(callId);
    await waitFor(
      'ConnectStreamOutput',
      async () => gateway.received('connectStreamOutput', streamId).length === 1,
    );
    const [output] = gateway.received('connectStreamOutput', streamId);
    expect(output).toMatchObject({ streamId, rtpHost: '127.0.0.1', payloadType: 0 });
    expect(output!.rtpPort).toBeGreaterThan(0);
    await tonesOnceRouted([a, partyA, 700], [b, partyB, 1300]);
    await waitFor(
      'each party hears the bot and the other party',
      async () =>
        enough(partyA, partyB) &&
        partyA.recentToneRatio(2000) > HEARD / 2 &&
        partyA.recentToneRatio(1300) > HEARD / 2 &&
        partyB.recentToneRatio(2000) > HEARD / 2 &&
        partyB.recentToneRatio(700) > HEARD / 2,
      10_000,
    ).catch((error: unknown) => {
      const ratios = [2000, 700, 1300].map(
        (f) => `${f}: A ${partyA.recentToneRatio(f).toFixed(2)} B ${partyB.recentToneRatio(f).toFixed(2)}`,
      );
      throw new Error(`${String(error)}; ${ratios.join(', ')}`);
    });
    // Nobody hears themselves.
    expect(partyA.recentToneRatio(700)).toBeLessThan(0.05);
    expect(partyB.recentToneRatio(1300)).toBeLessThan(0.05);
    // The mixer received the bot's audio at the port the gateway was given.
    const bot = (await room(callId)).participants.find((p) => p.participantId === `bot-${streamId}`);
    expect(bot?.packetsIn).toBeGreaterThan(40);

    // The stream ends: the parties get their direct path back and the room goes.
    await h.client.api.stopStream({ callId, streamId });
    await h.until(callId, 'StreamStopped');
    await waitFor('room deleted', async () =>
      room(callId).then(
        () => false,
        () => true,
      ),
    );
    expect(worker.requests).toEqual(expect.arrayContaining([`RestoreRoute ${a}`, `RestoreRoute ${b}`]));
    partyA.stopTone();
    partyB.stopTone();
  }, 30_000);

  it('a leg stream: only its leg hears the bot', async () => {
    const { callId, a, b, partyA, partyB } = await bridgedCall();
    const { streamId } = await startStream(callId, b);
    await waitFor(
      'ConnectStreamOutput',
      async () => gateway.received('connectStreamOutput', streamId).length === 1,
    );
    await tonesOnceRouted([a, partyA, 700], [b, partyB, 1300]);
    await waitFor(
      'B hears the bot and A',
      async () =>
        enough(partyB) && partyB.recentToneRatio(2000) > HEARD / 2 && partyB.recentToneRatio(700) > HEARD / 2,
      10_000,
    );
    await waitFor('A hears B', async () => enough(partyA) && partyA.recentToneRatio(1300) > HEARD, 5000);
    expect(partyA.recentToneRatio(2000)).toBeLessThan(0.05);
    await h.client.hangup(callId);
    await h.until(callId, 'StreamStopped');
    partyA.stopTone();
    partyB.stopTone();
  }, 30_000);
});
