// What a carrier must allowlist (seed 001), end to end: the real SIP engine announces its listeners to
// sip-edge at connect, the media-worker its rtpengine's address and port range, both announce them on the
// instance registry, and the provisioning service's GetMediaResources lists them.
import { randomBytes } from 'node:crypto';
import { createProvisioningClient, NO_RETRIES, type ProvisioningClient } from '@callctl/client';
import { provisioning } from '@callctl/proto';
import { createTestDatabase, waitFor, type TestDatabase } from '@callctl/testing';
import { startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';
import { startProvisioningProcess, type GrpcServiceProcess } from '../support/services.js';

jest.setTimeout(90_000);

describe('GetMediaResources', () => {
  let t: EdgeUnderTest;
  let db: TestDatabase;
  let service: GrpcServiceProcess;
  let client: ProvisioningClient;

  beforeAll(async () => {
    t = await startEdgeUnderTest();
    db = await createTestDatabase();
    service = await startProvisioningProcess({
      databaseUrl: db.url,
      natsUrl: t.nats.url,
      secretsKey: randomBytes(32).toString('base64'),
    });
    client = createProvisioningClient({
      address: `127.0.0.1:${service.grpcPort}`,
      deadlineMs: 5000,
      retry: NO_RETRIES,
    });
  });
  afterAll(async () => {
    client?.close();
    await service?.stop();
    await db?.drop();
    await t?.close();
  });

  it("lists the engine's SIP listeners and rtpengine's media range, from the live instances", async () => {
    let resources: provisioning.GetMediaResourcesResponse = { signalling: [], media: [] };
    await waitFor(
      'sip-edge and media-worker resources',
      async () => {
        resources = await client.getMediaResources({});
        return resources.signalling.length > 0 && resources.media.length > 0;
      },
      10_000,
      200,
    );
    const { SIP_TRANSPORT_UDP, SIP_TRANSPORT_TCP } = provisioning.SipTransport;
    expect(resources.signalling.map((s) => [s.transport, s.host, s.port]).sort()).toEqual(
      [
        [SIP_TRANSPORT_UDP, '127.0.0.1', t.engine.sipPort],
        [SIP_TRANSPORT_TCP, '127.0.0.1', t.engine.sipPort],
      ].sort(),
    );
    expect(resources.media).toEqual([
      {
        instance: expect.any(String),
        address: t.rtpengine.host,
        portMin: t.rtpengine.mediaPorts.min,
        portMax: t.rtpengine.mediaPorts.max,
      },
    ]);
  });
});
