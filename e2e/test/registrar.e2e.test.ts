// sip-edge's registrar and inbound gate against real peers: sipp phones registering with digest (MD5, its
// [authentication]), a libs/sip client for SHA-256 and replays, bindings read back from NATS KV as every
// instance reads them, a device's INVITE challenged with 407 then offered with its user and route, and an
// INVITE from a source that is no trunk's refused with 403. The SIP engine, NATS, rtpengine, the
// media-worker and sip-edge run as processes.
import { join } from 'node:path';
import { connectBus, type NatsConnection } from '@callctl/bus';
import type { facts } from '@callctl/proto';
import {
  freePort,
  RtpEndpoint,
  startSipp,
  waitFor,
  type SippResult,
  type SippTransport,
} from '@callctl/testing';
import { openBindingStore, type BindingStore } from '@callctl/provisioning';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';
import { provisionDomain, provisionTrunk, provisionUser } from '../support/provisioning-kv.js';
import { SipRegisterClient } from '../support/sip-register-client.js';

jest.setTimeout(60_000);

const DOMAIN = 'registrar.example';
const PASSWORD = 'correct horse';
const NONCE_TTL_MS = 2000;
const MIN_EXPIRES_S = 2;
const scenario = (name: string) => join(__dirname, '..', 'scenarios', name);

/**
 * Resolves once the sip-edge behind the engine sees the user (its REGISTER gets 401, no longer 404): the
 * provisioning watch applies keys in order, so whatever was written before is in its view too.
 */
async function untilSipEdgeSees(engine: { sipPort: number }, username: string): Promise<void> {
  const probe = await SipRegisterClient.open({ host: '127.0.0.1', port: engine.sipPort }, username, DOMAIN);
  try {
    await waitFor('sip-edge to see the user', async () => (await probe.send()).status === 401, 5000, 50);
  } finally {
    probe.close();
  }
}

describe('registrar', () => {
  let t: EdgeUnderTest;
  let nc: NatsConnection;
  let bindings: BindingStore;
  let users = 0;

  beforeAll(async () => {
    t = await startEdgeUnderTest({
      env: {
        // MD5 first: sipp answers the first challenge it reads and speaks MD5 only.
        DIGEST_ALGORITHMS: 'MD5,SHA-256',
        REGISTRAR_NONCE_SECRET: 'registrar-e2e-nonce-secret',
        REGISTRAR_NONCE_TTL_MS: String(NONCE_TTL_MS),
        REGISTRAR_MIN_EXPIRES_S: String(MIN_EXPIRES_S),
        REGISTRAR_MAX_CONTACTS: '3',
      },
    });
    nc = await connectBus({ servers: t.nats.url, name: 'registrar-e2e' });
    bindings = await openBindingStore(nc);
    await provisionDomain(nc, DOMAIN);
  });
  afterAll(async () => {
    await nc?.close();
    await t?.close();
  });

  /** A fresh user, provisioned and visible to sip-edge (its REGISTER no longer gets 404). */
  async function newUser(): Promise<string> {
    users += 1;
    const username = `user${users}-${process.pid}`;
    await provisionUser(nc, DOMAIN, username, PASSWORD);
    await untilSipEdgeSees(t.engine, username);
    return username;
  }
  /** A fresh user's phone (the libs/sip client), closed after `run`. */
  async function withPhone(run: (phone: SipRegisterClient, user: string) => Promise<void>): Promise<void> {
    const user = await newUser();
    const phone = await SipRegisterClient.open(sipEngine(), user, DOMAIN);
    try {
      await run(phone, user);
    } finally {
      phone.close();
    }
  }
  const sipEngine = () => ({ host: '127.0.0.1', port: t.engine.sipPort });
  const aor = (username: string) => `sip:${username}@${DOMAIN}`;

  function sippRegister(
    expect: 200 | 403,
    username: string,
    o: { password?: string; contact: string; expires: number; transport?: SippTransport; port?: number },
  ): Promise<SippResult> {
    return startSipp({
      scenario: scenario(`register-auth-expect-${expect}.xml`),
      remote: `127.0.0.1:${t.engine.sipPort}`,
      ...(o.transport ? { transport: o.transport } : {}),
      ...(o.port ? { port: o.port } : {}),
      args: [
        '-au',
        username,
        '-ap',
        o.password ?? PASSWORD,
        '-key',
        'aor_user',
        username,
        '-key',
        'aor_domain',
        DOMAIN,
        '-key',
        'contact',
        o.contact,
        '-key',
        'expires',
        String(o.expires),
      ],
    }).then((sipp) => sipp.result);
  }

  it.each(['udp', 'tcp'] as const)(
    'registers a sipp phone with MD5 over %s and stores the flow it came on',
    async (transport) => {
      const user = await newUser();
      const port = await freePort();
      t.expectSippSucceeded(
        await sippRegister(200, user, {
          contact: '<sip:phone@192.0.2.10:5999>',
          expires: 300,
          transport,
          port,
        }),
      );
      const stored = await bindings.list(aor(user), Date.now());
      // The Contact names an address behind a NAT; the flow is where the REGISTER really came from.
      expect(stored).toEqual([
        expect.objectContaining({
          aor: aor(user),
          contactUri: 'sip:phone@192.0.2.10:5999',
          transport,
          sourceAddress: '127.0.0.1',
          userAgent: 'sipp-registrar-e2e',
          instance: 'sip-edge',
        }),
      ]);
      if (transport === 'udp') expect(stored[0]!.sourcePort).toBe(port);
      else expect(stored[0]!.sourcePort).toBeGreaterThan(0);
      expect(stored[0]!.expiresAtMs).toBeGreaterThan(Date.now() + 290_000);
    },
  );

  it('registers with SHA-256 and answers with every contact and its expiry', async () => {
    await withPhone(async (phone) => {
      const first = await phone.register('SHA-256', PASSWORD, {
        contact: `<${phone.contactUri}>`,
        expires: 120,
      });
      expect(
        first.challenge.getAll('WWW-Authenticate').map((v) => /algorithm=([\w-]+)/.exec(v)?.[1]),
      ).toEqual(['MD5', 'SHA-256']);
      expect(first.final.status).toBe(200);
      expect(first.final.get('Date')).toMatch(/GMT$/);
      const second = await phone.register('SHA-256', PASSWORD, {
        contact: '<sip:desk@127.0.0.1:5998>',
        expires: 600,
      });
      expect(second.final.status).toBe(200);
      const contacts = second.final.getAll('Contact');
      expect(contacts).toHaveLength(2);
      expect(contacts).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^<${phone.contactUri}>;expires=(119|120)$`)),
          expect.stringMatching(/^<sip:desk@127\.0\.0\.1:5998>;expires=(599|600)$/),
        ]),
      );
    });
  });

  it('refuses a wrong password with 403 and stores nothing', async () => {
    const user = await newUser();
    t.expectSippSucceeded(
      await sippRegister(403, user, {
        password: 'guess',
        contact: '<sip:phone@127.0.0.1:5999>',
        expires: 300,
      }),
    );
    expect(await bindings.list(aor(user), Date.now())).toEqual([]);
  });

  it('refuses a replayed nonce count with a new challenge, and takes the next count', async () => {
    await withPhone(async (phone) => {
      const contact = `<${phone.contactUri}>`;
      const first = await phone.register('MD5', PASSWORD, { contact, expires: 300 });
      expect(first.final.status).toBe(200);
      const replayed = await phone.send({ contact, expires: 300, authorization: first.authorization });
      expect(replayed.status).toBe(401);
      expect(replayed.get('Warning')).toContain('replayed nonce count');
      const challenge = phone.challengeOf(first.challenge, 'MD5');
      const next = await phone.send({
        contact,
        expires: 300,
        authorization: phone.answer(challenge, PASSWORD, 2),
      });
      expect(next.status).toBe(200);
    });
  });

  it('answers right credentials on an expired nonce with stale=true', async () => {
    await withPhone(async (phone) => {
      const challenge = phone.challengeOf(await phone.send({ contact: `<${phone.contactUri}>` }), 'SHA-256');
      await new Promise((resolve) => setTimeout(resolve, NONCE_TTL_MS + 200));
      const late = await phone.send({
        contact: `<${phone.contactUri}>`,
        authorization: phone.answer(challenge, PASSWORD, 1),
      });
      expect(late.status).toBe(401);
      expect(late.getAll('WWW-Authenticate').every((v) => /stale=true/i.test(v))).toBe(true);
    });
  });

  it('refuses too short an expiry with 423 and Min-Expires, and lets a binding expire', async () => {
    await withPhone(async (phone, user) => {
      const tooShort = await phone.register('MD5', PASSWORD, {
        contact: `<${phone.contactUri}>`,
        expires: 1,
      });
      expect(tooShort.final.status).toBe(423);
      expect(tooShort.final.get('Min-Expires')).toBe(String(MIN_EXPIRES_S));
      const short = await phone.register('MD5', PASSWORD, {
        contact: `<${phone.contactUri}>`,
        expires: MIN_EXPIRES_S,
      });
      expect(short.final.status).toBe(200);
      expect(await bindings.list(aor(user), Date.now())).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, MIN_EXPIRES_S * 1000 + 300));
      const query = await phone.register('MD5', PASSWORD);
      expect(query.final.status).toBe(200);
      expect(query.final.getAll('Contact')).toEqual([]);
    });
  });

  it.each([
    ['one contact with Expires: 0', '<sip:a@127.0.0.1:5001>', ['sip:b@127.0.0.1:5002']],
    ['every contact with Contact: *', '*', []],
  ])('un-registers %s', async (_label, contact, left) => {
    const user = await newUser();
    t.expectSippSucceeded(await sippRegister(200, user, { contact: '<sip:a@127.0.0.1:5001>', expires: 300 }));
    t.expectSippSucceeded(await sippRegister(200, user, { contact: '<sip:b@127.0.0.1:5002>', expires: 300 }));
    t.expectSippSucceeded(await sippRegister(200, user, { contact, expires: 0 }));
    expect((await bindings.list(aor(user), Date.now())).map((b) => b.contactUri)).toEqual(left);
  });

  it.each([
    ['malformed credentials', (_nonce: string) => `Digest realm="${DOMAIN}", username="x"`, 400, 'Malformed'],
    [
      'an unknown algorithm',
      (nonce: string) =>
        `Digest username="x", realm="${DOMAIN}", nonce="${nonce}", uri="sip:${DOMAIN}", response="00", algorithm=SHA-512-256, qop=auth, nc=00000001, cnonce="c"`,
      401,
      'unsupported algorithm',
    ],
    [
      'a realm mismatch',
      (nonce: string) =>
        `Digest username="x", realm="other.example", nonce="${nonce}", uri="sip:${DOMAIN}", response="00", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"`,
      401,
      'realm mismatch',
    ],
  ])('answers %s with 400 or 401 and says why, storing nothing', async (_label, credentials, status, why) => {
    await withPhone(async (phone, user) => {
      const nonce = phone.challengeOf(await phone.send(), 'MD5').nonce;
      const answer = await phone.send({
        contact: `<${phone.contactUri}>`,
        authorization: credentials(nonce).replace('username="x"', `username="${user}"`),
      });
      expect(answer.status).toBe(status);
      expect(answer.get('Warning')).toContain(why);
      expect(await bindings.list(aor(user), Date.now())).toEqual([]);
    });
  });

  it('refuses a REGISTER for a domain it does not serve with 404', async () => {
    const phone = await SipRegisterClient.open(sipEngine(), 'alice', 'elsewhere.example');
    try {
      expect((await phone.send({ contact: `<${phone.contactUri}>` })).status).toBe(404);
    } finally {
      phone.close();
    }
  });
});

describe('inbound gate', () => {
  let t: EdgeUnderTest;

  beforeAll(async () => {
    t = await startEdgeUnderTest({ env: { DIGEST_ALGORITHMS: 'MD5' } });
    const nc = await connectBus({ servers: t.nats.url, name: 'gate-e2e' });
    try {
      await provisionTrunk(nc, 'carrier-e2e', { inboundSources: ['127.0.0.3/32'] });
      await provisionDomain(nc, DOMAIN);
      await provisionUser(nc, DOMAIN, 'alice', PASSWORD);
      await provisionUser(nc, DOMAIN, 'bob', PASSWORD);
      await untilSipEdgeSees(t.engine, 'bob');
    } finally {
      await nc.close();
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  /** sipp calling in with scenario `name` (its own RTP port), to its end. */
  async function callIn(name: string, args: string[], service = 'gate'): Promise<SippResult> {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: scenario(name),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service,
        args: [...args, '-key', 'rtp_port', String(rtp.port)],
      });
      return await sipp.result;
    } finally {
      await rtp.close();
    }
  }

  /** The call offered to `toUri`, rejected with 486 (what the scenarios expect); resolves with its offer. */
  async function rejectOffer(toUri: string): Promise<facts.InboundCallOffered> {
    const offered = await t.fact(
      'inboundCallOffered',
      (f) => f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.startsWith(toUri),
    );
    await call(t.client.rejectLeg.bind(t.client) as never, {
      callId: offered.callId,
      legId: offered.legId,
      sipStatus: 486,
      reason: 'test rejects',
    });
    return offered.fact.inboundCallOffered;
  }

  it('refuses an INVITE from a source that is no trunk’s and not allowlisted with 403', async () => {
    // Later options win: sipp sends from 127.0.0.2, outside INBOUND_ALLOW_CIDRS (127.0.0.1/32).
    const result = await callIn('uac-expect-403.xml', ['-i', '127.0.0.2']);
    t.expectSippSucceeded(result);
    // sip-edge's refusal (the engine's own would not say why), and no call came of it.
    expect(result.messages).toContain('Warning: 399 sip-edge "unknown source"');
    expect(t.seen.some((f) => f.fact?.$case === 'inboundCallOffered')).toBe(false);
  });

  it('offers an INVITE from a trunk’s source with the trunk’s name', async () => {
    const [result, offer] = await Promise.all([
      callIn('uac-expect-486.xml', ['-i', '127.0.0.3'], 'from-carrier'),
      rejectOffer('sip:from-carrier@'),
    ]);
    t.expectSippSucceeded(result);
    expect(offer.trunk).toBe('carrier-e2e');
    expect(offer.user).toBeUndefined();
  });

  it('challenges a device’s INVITE with 407, then offers it with its user and where the dial plan routes it', async () => {
    const keys = { caller: 'alice', callee: 'bob', aor_domain: DOMAIN };
    const [result, offer] = await Promise.all([
      callIn('device-invite-auth-expect-486.xml', [
        ...['-au', 'alice', '-ap', PASSWORD],
        ...Object.entries(keys).flatMap(([key, value]) => ['-key', key, value]),
      ]),
      rejectOffer(`sip:bob@${DOMAIN}`),
    ]);
    t.expectSippSucceeded(result);
    expect(offer).toMatchObject({ user: `alice@${DOMAIN}`, routedTo: `sip:bob@${DOMAIN}` });
    expect(offer.trunk).toBeUndefined();
    expect(result.messages).toMatch(/SIP\/2.0 407[\s\S]*Proxy-Authenticate: Digest/);
  });
});
