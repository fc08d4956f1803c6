// make dev's SIP engine environment (deploy/local/services.js), read by the engine's own config reader:
// TLS, WS and WSS listeners on loopback at ports.env's ports, and the dev certificate under drachtio's names.
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

interface DevService {
  name: string;
  env: Record<string, string>;
  listens: [string, string][];
}

/** services.js as make dev loads it, with the given environment (it reads ports at load time). */
function devServices(environment: Record<string, string>) {
  // A key of its own, so loading services.js does not make .state/provisioning-secrets.key in the checkout.
  const set = { PROVISIONING_SECRETS_KEY: 'dGVzdA==', ...environment };
  const saved = Object.fromEntries(Object.keys(set).map((name) => [name, process.env[name]]));
  Object.assign(process.env, set);
  try {
    let loaded: { services: DevService[]; devTls: Record<string, string> } | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(join(ROOT, 'deploy', 'local', 'services.js'));
    });
    return loaded!;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readConfig } = require(join(ROOT, 'services', 'sip-engine', 'src', 'config')) as {
  readConfig(env: Record<string, string>): Record<string, unknown>;
};

const engineOf = (loaded: { services: DevService[] }) =>
  loaded.services.find((s) => s.name === 'sip-engine')!;

describe("make dev's SIP engine", () => {
  it('listens for TLS, WS and WSS on 127.0.0.1 at the ports.env ports, with the dev certificate', () => {
    const loaded = devServices({
      CALLCTL_SIP_TLS_PORT: '5061',
      CALLCTL_SIP_WS_PORT: '5066',
      CALLCTL_SIP_WSS_PORT: '8443',
    });
    const engine = engineOf(loaded);
    const config = readConfig(engine.env);
    expect(config.SIP_TLS).toEqual([{ host: '127.0.0.1', port: 5061 }]);
    expect(config.SIP_WS).toEqual([{ host: '127.0.0.1', port: 5066 }]);
    expect(config.SIP_WSS).toEqual([{ host: '127.0.0.1', port: 8443 }]);
    expect(config.DRACHTIO_TLS_CERT_FILE).toBe(join(ROOT, '.state', 'dev-tls', 'cert.pem'));
    expect(config.DRACHTIO_TLS_KEY_FILE).toBe(join(ROOT, '.state', 'dev-tls', 'cert.key'));
    expect(config.SIP_TLS_CA_FILE).toBe(loaded.devTls.caFile);
    expect(engine.listens).toContainEqual(['SIP over secure WebSocket (browsers)', 'wss://127.0.0.1:8443']);
  });

  it('takes other ports from the environment, and leaves the secure listeners off with CALLCTL_DEV_SECURE_SIP=0', () => {
    const moved = readConfig(engineOf(devServices({ CALLCTL_SIP_WSS_PORT: '9443' })).env);
    expect(moved.SIP_WSS).toEqual([{ host: '127.0.0.1', port: 9443 }]);
    const off = engineOf(devServices({ CALLCTL_DEV_SECURE_SIP: '0' }));
    const config = readConfig(off.env);
    expect([config.SIP_TLS, config.SIP_WS, config.SIP_WSS]).toEqual([[], [], []]);
    expect(config.DRACHTIO_TLS_CERT_FILE).toBe('');
    expect(off.listens.map(([what]) => what).filter((what) => /TLS|WebSocket/.test(what))).toEqual([]);
  });
});
