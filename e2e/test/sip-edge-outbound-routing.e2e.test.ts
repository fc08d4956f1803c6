// Outbound routing by the dial plan (issue #19): PlaceCall to a number goes out through a provisioned
// trunk, gateway after gateway (failover on 503 and on silence, never on 486), answering the gateway's
// digest challenge (MD5 from sipp, SHA-256 from a libs/sip gateway); PlaceCall to a platform user rings the
// user's registered contacts in parallel over their flows, the first answer wins and the other is CANCELled.
// The provisioning model and the bindings are put into NATS KV as the provisioning service and the
// registrar write them; sip-edge, the SIP engine, rtpengine and the media-worker run as processes.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { callEvents, type sipEdge } from '@callctl/proto';
import {
  domainKey,
  openBindingStore,
  parseSecretsKey,
  PROVISIONING_BUCKET,
  sealSecret,
  trunkKey,
  userKey,
  type BindingStore,
  type GatewayView,
  type TrunkView,
  type UserView,
} from '@callctl/provisioning';
import { startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { Kvm, type KV } from '@nats-io/kv';
import { startDigestGateway } from '../support/digest-gateway.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const DOMAIN = 'platform.test';
const ATTEMPT_TIMEOUT_MS = 1500;
const SECRETS_KEY = randomBytes(32).toString('base64');
const CARRIER_PASSWORD = 'carrier-secret';
/** The phones' Contact host as if behind a NAT: loopback, so nothing leaves the box, but nobody listens. */
const PRIVATE_CONTACT_HOST = '127.0.0.9';

describe('sip-edge outbound routing: trunks with failover and digest, users forked to their contacts', () => {
  let t: EdgeUnderTest;
  let nc: NatsConnection;
  let provisioning: KV;
  let bindings: BindingStore;
  const sipps: RunningSipp[] = [];

  /** A sipp UAS on a port of its own: a carrier gateway or a phone. */
  const uas = async (scenario: string, ...args: string[]) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      args: ['-key', 'rtp_port', '9', ...args],
    });
    sipps.push(sipp);
    return sipp;
  };
  const gateway = (port: number, priority: number): GatewayView => ({
    host: '127.0.0.1',
    port,
    transport: 'udp',
    priority,
    weight: 1,
  });
  /** A trunk as the provisioning service publishes it, routing numbers that start with `prefix`. */
  const provisionTrunk = async (
    name: string,
    prefix: string,
    gateways: GatewayView[],
    withAuth = false,
    callerId: TrunkView['callerId'] = { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
  ) => {
    const trunk: TrunkView = {
      name,
      inboundSources: [],
      gateways,
      ...(withAuth
        ? {
            outboundAuth: {
              username: 'acct',
              sealedPassword: sealSecret(parseSecretsKey(SECRETS_KEY), CARRIER_PASSWORD),
            },
          }
        : {}),
      numberPatterns: [`${prefix}*`],
      callerId,
      updatedAtMs: Date.now(),
    };
    await provisioning.put(trunkKey(name), JSON.stringify(trunk));
    await settle();
  };
  const provisionUser = async (username: string) => {
    const user: UserView = {
      domain: DOMAIN,
      username,
      displayName: username,
      ha1Md5: '0'.repeat(32),
      ha1Sha256: '0'.repeat(64),
      allowedCodecs: [],
      updatedAtMs: Date.now(),
    };
    await provisioning.put(userKey(DOMAIN, username), JSON.stringify(user));
    await settle();
  };
  /**
   * A binding of `aor` to a sipp phone behind a NAT, as the registrar stores one after a REGISTER from it
   * over UDP: its Contact names its private address (a loopback address where nothing listens), the flow
   * the REGISTER came on is the phone's real port. A call reaches the phone only through the flow.
   */
  const register = (aor: string, phone: RunningSipp) =>
    bindings.put({
      aor,
      contactUri: `sip:${aor.slice(4, aor.indexOf('@'))}@${PRIVATE_CONTACT_HOST}:${phone.port}`,
      expiresAtMs: Date.now() + 3600_000,
      callId: randomUUID(),
      cseq: 1,
      transport: 'udp',
      sourceAddress: '127.0.0.1',
      sourcePort: phone.port,
      userAgent: 'sipp',
      instance: 'test',
    });
  /** sip-edge folds KV changes in through a watch: give it the moment the change takes to arrive. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  const placeCall = async (toUri: string) => {
    const callId = `call-${randomUUID()}`;
    const legId = `leg-${randomUUID()}`;
    await call<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(
      t.client.placeCall.bind(t.client) as never,
      {
        callId,
        legId,
        toUri,
        fromUri: 'sip:+15550001111@platform.test',
        ringTimeoutMs: 0,
        bridgeWithLegId: '',
        headers: {},
      },
    );
    return { callId, legId };
  };
  const hangup = (callId: string, legId: string) =>
    call(t.client.hangupLeg.bind(t.client) as never, { callId, legId, sipStatus: 0, reason: 'done' });
  const factCases = (callId: string) => t.factsOf(callId).map((f) => f.fact?.$case);
  const attemptsOf = (callId: string) =>
    t
      .factsOf(callId)
      .flatMap((f) => (f.fact?.$case === 'outboundAttemptFailed' ? [f.fact.outboundAttemptFailed] : []));

  beforeAll(async () => {
    t = await startEdgeUnderTest({
      env: {
        GATEWAY_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
        PROVISIONING_SECRETS_KEY: SECRETS_KEY,
        INBOUND_ALLOW_CIDRS: '127.0.0.1/32',
      },
    });
    nc = await connectBus({ servers: t.nats.url, name: 'outbound-routing-e2e' });
    provisioning = await new Kvm(nc).create(PROVISIONING_BUCKET);
    bindings = await openBindingStore(nc);
    await provisioning.put(domainKey(DOMAIN), JSON.stringify({ name: DOMAIN, updatedAtMs: Date.now() }));
    await settle();
  });

  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
  });

  afterAll(async () => {
    await nc?.close();
    await t?.close();
  });

  it('fails over from a gateway answering 503 to the next, which answers; the failed attempt is a fact', async () => {
    const down = await uas('gateway-uas-503.xml');
    const up = await uas('uas-answers-expect-bye.xml');
    await provisionTrunk('failover', '+4420100', [gateway(down.port, 1), gateway(up.port, 2)]);

    const { callId, legId } = await placeCall('tel:+442010000001');
    const sent = await t.fact('outboundLegSent', (f) => f.callId === callId);
    expect(sent.fact.outboundLegSent.trunk).toBe('failover');
    await t.fact('legAnswered', (f) => f.callId === callId);
    expect(attemptsOf(callId)).toEqual([
      {
        attempt: 1,
        trunk: 'failover',
        gateway: `127.0.0.1:${down.port};transport=udp`,
        requestUri: expect.stringContaining(`+442010000001@127.0.0.1:${down.port}`),
        sipStatus: 503,
        reason: expect.any(String),
        failover: true,
      },
    ]);
    // The 180 of the gateway that answered: the one that failed sent none.
    expect(factCases(callId)).toEqual([
      'outboundLegSent',
      'outboundAttemptFailed',
      'legProgress',
      'legAnswered',
    ]);

    await hangup(callId, legId);
    t.expectSippSucceeded(await down.result);
    t.expectSippSucceeded(await up.result);
  });

  it('reports every failed attempt when all gateways answer 503, the last without failover, then ends', async () => {
    const first = await uas('gateway-uas-503.xml');
    const second = await uas('gateway-uas-503.xml');
    await provisionTrunk('all-down', '+4420200', [gateway(first.port, 1), gateway(second.port, 2)]);

    const { callId } = await placeCall('+442020000001');
    const ended = await t.fact('legEnded', (f) => f.callId === callId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_UNREACHABLE, sipStatus: 503 });
    expect(attemptsOf(callId).map((a) => [a.attempt, a.sipStatus, a.failover])).toEqual([
      [1, 503, true],
      [2, 503, false],
    ]);
    t.expectSippSucceeded(await first.result);
    t.expectSippSucceeded(await second.result);
  });

  it('does not fail over on 486: the callee is busy whatever the gateway', async () => {
    const busy = await uas('uas-busy.xml');
    const spare = await uas('uas-answers-expect-bye.xml');
    await provisionTrunk('busy', '+4420300', [gateway(busy.port, 1), gateway(spare.port, 2)]);

    const { callId } = await placeCall('tel:+442030000001');
    const ended = await t.fact('legEnded', (f) => f.callId === callId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_BUSY, sipStatus: 486 });
    expect(attemptsOf(callId)).toEqual([]);
    t.expectSippSucceeded(await busy.result);
    const untouched = await spare.stop(500);
    expect(untouched.incomingCalls).toBe(0);
  });

  it('fails over from a silent gateway after GATEWAY_ATTEMPT_TIMEOUT_MS', async () => {
    const silent = await uas('uas-silent.xml');
    const up = await uas('uas-answers-expect-bye.xml');
    await provisionTrunk('silent', '+4420400', [gateway(silent.port, 1), gateway(up.port, 2)]);

    const started = Date.now();
    const { callId, legId } = await placeCall('tel:+442040000001');
    await t.fact('legAnswered', (f) => f.callId === callId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS);
    expect(attemptsOf(callId)).toEqual([
      expect.objectContaining({
        attempt: 1,
        sipStatus: 0,
        failover: true,
        reason: expect.stringMatching(/1500 ms/),
      }),
    ]);
    await hangup(callId, legId);
    t.expectSippSucceeded(await up.result);
  });

  it('stops at a hangup while a gateway is tried: no failover to the next one', async () => {
    const silent = await uas('uas-silent.xml');
    const spare = await uas('uas-answers-expect-bye.xml');
    await provisionTrunk('hung-up', '+4420450', [gateway(silent.port, 1), gateway(spare.port, 2)]);

    const { callId, legId } = await placeCall('tel:+442045000001');
    await t.fact('outboundLegSent', (f) => f.callId === callId);
    await hangup(callId, legId);
    const ended = await t.fact('legEnded', (f) => f.callId === callId);
    expect(ended.fact.legEnded.cause).toBe(C.END_CAUSE_LOCAL_HANGUP);
    // Past the attempt's timeout: the silent gateway's attempt must not have moved on to the spare one.
    await new Promise((resolve) => setTimeout(resolve, ATTEMPT_TIMEOUT_MS + 500));
    expect(attemptsOf(callId)).toEqual([]);
    expect((await spare.stop(500)).incomingCalls).toBe(0);
  });

  it("answers a gateway's MD5 challenge (401) with the trunk's credentials", async () => {
    const carrier = await uas(
      'gateway-uas-md5-challenge-answers-expect-bye.xml',
      '-key',
      'password',
      CARRIER_PASSWORD,
    );
    await provisionTrunk('md5', '+4420500', [gateway(carrier.port, 1)], true);

    const { callId, legId } = await placeCall('tel:+442050000001');
    await t.fact('legAnswered', (f) => f.callId === callId);
    expect(attemptsOf(callId)).toEqual([]);
    await hangup(callId, legId);
    t.expectSippSucceeded(await carrier.result);
  });

  it("answers a gateway's SHA-256 challenge (RFC 8760) in the same dialog attempt, with the trunk's caller-id rule", async () => {
    const carrier = await startDigestGateway({
      realm: 'carrier.test',
      username: 'acct',
      password: CARRIER_PASSWORD,
      algorithm: 'SHA-256',
    });
    try {
      // The carrier wants national format with a 9 prefix, and its own number and domain as the From.
      await provisionTrunk('sha256', '+4420600', [gateway(carrier.port, 1)], true, {
        fromNumber: '+15550009999',
        fromDomain: 'carrier.test',
        stripPlus: true,
        prefix: '9',
      });
      const { callId, legId } = await placeCall('tel:+442060000001');
      await t.fact('legAnswered', (f) => f.callId === callId);
      expect(carrier.answered).toEqual([401, 200]);
      const [challenged, answered] = carrier.invites;
      expect(answered!.callId).toBe(challenged!.callId);
      expect(answered!.uri).toBe(`sip:9442060000001@127.0.0.1:${carrier.port};transport=udp`);
      expect(answered!.from).toMatch(/^<sip:15550009999@carrier\.test>;tag=/);
      expect(Number.parseInt(answered!.cseq, 10)).toBe(Number.parseInt(challenged!.cseq, 10) + 1);
      expect(answered!.authorization).toMatchObject({
        username: 'acct',
        realm: 'carrier.test',
        algorithm: 'SHA-256',
        qop: 'auth',
      });
      await hangup(callId, legId);
      await waitFor('the BYE at the gateway', () => carrier.byes > 0 || undefined, 5000);
    } finally {
      await carrier.close();
    }
  });

  it('answers a stale=true challenge once more, and gives up on a second plain 401 (wrong password)', async () => {
    const stale = await startDigestGateway({
      realm: 'carrier.test',
      username: 'acct',
      password: CARRIER_PASSWORD,
      algorithm: 'SHA-256',
      staleOnce: true,
    });
    const refusing = await startDigestGateway({
      realm: 'carrier.test',
      username: 'acct',
      password: 'not-the-trunks-password',
      algorithm: 'MD5',
    });
    try {
      await provisionTrunk('stale', '+4420700', [gateway(stale.port, 1)], true);
      await provisionTrunk('refusing', '+4420800', [gateway(refusing.port, 1)], true);

      const accepted = await placeCall('tel:+442070000001');
      await t.fact('legAnswered', (f) => f.callId === accepted.callId);
      expect(stale.answered).toEqual([401, 401, 200]);
      expect(
        stale.invites.map((i) => Number.parseInt(i.cseq, 10) - Number.parseInt(stale.invites[0]!.cseq, 10)),
      ).toEqual([0, 1, 2]);
      await hangup(accepted.callId, accepted.legId);

      const refused = await placeCall('tel:+442080000001');
      const ended = await t.fact('legEnded', (f) => f.callId === refused.callId);
      expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_UNREACHABLE, sipStatus: 401 });
      expect(refusing.answered).toEqual([401, 401]);
      expect(attemptsOf(refused.callId)).toEqual([]);
    } finally {
      await stale.close();
      await refusing.close();
    }
  });

  it("rings a user's two contacts in parallel: the first to answer wins, the other gets CANCEL", async () => {
    await provisionUser('alice');
    const answers = await uas('uas-answers-expect-bye.xml');
    const rings = await uas('uas-rings-expect-cancel.xml');
    await register('sip:alice@platform.test', answers);
    await register('sip:alice@platform.test', rings);

    const { callId, legId } = await placeCall('sip:alice@platform.test');
    const sent = await t.fact('outboundLegSent', (f) => f.callId === callId);
    expect(sent.fact.outboundLegSent.user).toBe('alice@platform.test');
    await t.fact('legAnswered', (f) => f.callId === callId);
    t.expectSippSucceeded(await rings.result);

    await hangup(callId, legId);
    t.expectSippSucceeded(await answers.result);
    // One leg to the platform: one 180 reported (both phones rang), one answer, one ending.
    expect(factCases(callId)).toEqual(['outboundLegSent', 'legProgress', 'legAnswered', 'legEnded']);
  });

  it("ACKs and BYEs a second contact's 2xx that crossed the CANCEL; the leg keeps the first", async () => {
    await provisionUser('carol');
    const answers = await uas('uas-answers-expect-bye.xml');
    const late = await uas('uas-rings-answers-despite-cancel-expect-bye.xml');
    await register('sip:carol@platform.test', answers);
    await register('sip:carol@platform.test', late);

    const { callId, legId } = await placeCall('sip:carol@platform.test');
    await t.fact('legAnswered', (f) => f.callId === callId);
    t.expectSippSucceeded(await late.result);
    // The leg is still the first contact's: up until the platform hangs it up.
    expect(factCases(callId)).toEqual(['outboundLegSent', 'legProgress', 'legAnswered']);
    await hangup(callId, legId);
    t.expectSippSucceeded(await answers.result);
  });

  it('ends a call to a user with no registered contact NOT_REGISTERED (480), and a number with no route NO_ROUTE (404)', async () => {
    await provisionUser('bob');
    const toBob = await placeCall('sip:bob@platform.test');
    const notRegistered = await t.fact('legEnded', (f) => f.callId === toBob.callId);
    expect(notRegistered.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NOT_REGISTERED, sipStatus: 480 });

    const nowhere = await placeCall('tel:+999000111');
    const noRoute = await t.fact('legEnded', (f) => f.callId === nowhere.callId);
    expect(noRoute.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NO_ROUTE, sipStatus: 404 });
  });
});
