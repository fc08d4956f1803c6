// A test file's platform with the provisioning service, one platform domain and its users, and SIP phones
// (baresip) registered to the platform's registrar with digest: issue 19's devices. sipp parties
// (call-parties.ts, phone-calls.ts) are the far ends a test owns the RTP of: a carrier's gateway behind a
// trunk, or a callee dialled and bridged. What a case opens is closed after it; the platform after the file.
import { provisioning } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startBaresip, type Baresip, type BaresipAccount } from './baresip.js';
import type { CallParties } from './call-parties.js';
import { phonesUnderTest, type PhoneCalls, type SippParty } from './phone-calls.js';
import type { PlatformUnderTest } from './platform-under-test.js';
import type { ProvisioningApi } from './provisioning-api.js';
import type { SecureTransports } from './services.js';

/** The platform domain of every devices file: its users' AOR host and digest realm. */
export const DOMAIN = 'pbx.e2e.test';
/** How long a registration may take: the challenge and the answer, and the binding put in NATS KV. */
const REGISTER_TIMEOUT_MS = 10_000;

export interface DevicesUnderTest {
  /** The file's platform (started in beforeAll). */
  p(): PlatformUnderTest;
  /** Its provisioning API. */
  prov(): ProvisioningApi;
  calls: PhoneCalls;
  parties: CallParties;
  /** The password a user was provisioned with (PutUser), for its phones. */
  passwordOf(username: string): string;
  /**
   * A baresip registered as `username` (a user of DOMAIN) from its own folder `folder` (two phones of one
   * user need two), sending `toneHz`; stopped after the case.
   */
  device(
    folder: string,
    username: string,
    toneHz: number,
    more?: Pick<BaresipAccount, 'answerMode' | 'transport' | 'mediaenc' | 'audioCodecs'>,
  ): Promise<Baresip>;
  /** Waits until the registrar holds `count` bindings of the user (ListRegistrations). */
  bindings(username: string, count: number): Promise<provisioning.Binding[]>;
  /**
   * A sipp UAS answering at its own port, sending `hz` from an RTP socket the test owns (the carrier's
   * gateway), and the trunk `trunk` whose one gateway it is.
   */
  carrier(trunk: string, hz: number): Promise<SippParty>;
}

/** SIP over TLS on the engine for phones that register with `transport: 'tls'`. */
export interface DevicesOverTls {
  /** The engine's listeners and certificate (engineTransports). */
  transports: SecureTransports;
  /** The CA the phones trust. */
  caFile: string;
  /** More sip-edge settings (e.g. SIP_TLS_OUTBOUND_SRTP). */
  edgeEnv?: NodeJS.ProcessEnv;
}

/**
 * Registers the jest hooks of a devices file: the platform (sip-edge offering MD5 digest only, which is what
 * baresip 1.0 answers; the orchestrator routing device calls itself, DEVICE_CALL_ROUTING=platform) with
 * DOMAIN and `users` provisioned, each with a password of its own.
 */
export function devicesUnderTest(
  name: string,
  users: readonly string[],
  tls?: DevicesOverTls,
): DevicesUnderTest {
  const passwordOf = (username: string) => `${username}-e2e-secret`;
  const { p, calls, parties, phone } = phonesUnderTest(
    name,
    { DEVICE_CALL_ROUTING: 'platform' },
    {
      settings: { env: { DIGEST_ALGORITHMS: 'MD5', ...tls?.edgeEnv } },
      fixtures: { provisioning: true, ...(tls ? { engineTransports: tls.transports } : {}) },
      async setUp(platform) {
        const api = platform.provisioning!.api;
        await api.putDomain(DOMAIN);
        for (const user of users) await api.putUser(DOMAIN, user, passwordOf(user));
      },
    },
  );
  const prov = () => {
    const api = p().provisioning?.api;
    if (!api) throw new Error('the platform runs no provisioning service');
    return api;
  };

  return {
    p,
    prov,
    calls,
    parties,
    passwordOf,
    async device(folder, username, toneHz, more = {}) {
      const engine = p().edge.engine;
      const registrar = `127.0.0.1:${more.transport === 'tls' ? engine.tlsPort : engine.sipPort}`;
      const started = await phone((dir) =>
        startBaresip({
          dir,
          name: folder,
          toneHz,
          ...(tls ? { caFile: tls.caFile } : {}),
          account: { user: username, domain: DOMAIN, password: passwordOf(username), registrar, ...more },
        }),
      );
      await started.registered(REGISTER_TIMEOUT_MS);
      return started;
    },
    bindings: (username, count) =>
      waitFor(
        `${count} binding(s) of ${username}@${DOMAIN}`,
        async () => {
          const found = await prov().listRegistrations(DOMAIN, username);
          return found.length === count && found;
        },
        REGISTER_TIMEOUT_MS,
        100,
      ),
    async carrier(trunk, hz) {
      const gateway = await calls.party(`${trunk}-gateway`, hz);
      await prov().putTrunk({
        name: trunk,
        gateways: [
          {
            host: '127.0.0.1',
            port: gateway.sipp.port,
            transport: provisioning.SipTransport.SIP_TRANSPORT_UDP,
          },
        ],
      });
      return gateway;
    },
  };
}
