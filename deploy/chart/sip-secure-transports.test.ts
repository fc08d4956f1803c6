// The chart's SIP over TLS, WS and WSS (sipEdge.sip.tls/ws/wss, sipEdge.sip.certificate), rendered by the real
// helm binary: both engines get listeners and the same certificate Secret, the SIP Service and the
// NetworkPolicy open the ports, and the project's engine parses what the chart gives it with its own config.
import { join } from 'node:path';
import {
  containersOf,
  envOf,
  findContainer,
  findWorkload,
  probeViolations,
  securityViolations,
  type Container,
} from './chart-rules';
import { REPO_ROOT } from './helm-binary';
import { kubernetesSchemaProblems } from './kubernetes-schema';
import { helmWithValues, PRODUCTION_VALUES, render, REQUIRED_SETTINGS, type K8sObject } from './render';

jest.setTimeout(120_000);

const MOUNT = '/etc/callctl/sip-tls';
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBdev\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nSip-Tls-Key-41c9\n-----END PRIVATE KEY-----\n';
const PEM_CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';

interface ServicePort {
  name: string;
  port: number;
  targetPort: string;
  protocol: string;
}
interface PodVolume {
  name: string;
  secret?: { secretName: string; defaultMode?: number };
}
type Mounted = Container & {
  ports?: { name: string; containerPort: number; protocol: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};

const sipEdgePod = (objects: K8sObject[]) => findWorkload(objects, 'Deployment', '-sip-edge');
const engineOf = (objects: K8sObject[], name: 'sip-engine' | 'drachtio') =>
  findContainer(sipEdgePod(objects), name) as Mounted;
const sipServicePorts = (objects: K8sObject[]) =>
  (
    objects.find((o) => o.kind === 'Service' && o.metadata.name === 'callctl-sip') as unknown as {
      spec: { ports: ServicePort[] };
    }
  ).spec.ports;
const volumesOf = (objects: K8sObject[]) =>
  (sipEdgePod(objects).pod as unknown as { volumes: PodVolume[] }).volumes;
const sipIngressPorts = (objects: K8sObject[]) =>
  (
    objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-sip-edge-ingress'),
    ) as unknown as {
      spec: { ingress: { from?: unknown; ports: { port: number; protocol: string }[] }[] };
    }
  ).spec.ingress.find((rule) => !rule.from)!.ports;
const envMap = (container: Container) =>
  Object.fromEntries(
    (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
  );

/** The project's engine's own config reader (services/sip-engine/src/config.ts), loaded from source. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readConfig } = require(join(REPO_ROOT, 'services', 'sip-engine', 'src', 'config')) as {
  readConfig(env: Record<string, string>): Record<string, unknown>;
};

describe("the project's engine with TLS and WSS from an existing Secret", () => {
  const objects = render(
    [],
    [
      REQUIRED_SETTINGS,
      {
        sipEdge: {
          engine: 'callctl-sip-engine',
          sip: {
            externalAddress: 'sip.example.net',
            tls: { enabled: true },
            wss: { enabled: true },
            certificate: { existingSecret: 'sip-example-net', caKey: 'ca.crt' },
            verifyClientCert: true,
            minTlsVersion: 'TLSv1.3',
          },
        },
      },
    ],
  );
  const engine = engineOf(objects, 'sip-engine');

  it('listens on 5061 (TLS) and 8443 (WSS) with the certificate files of the mounted Secret', () => {
    expect(envOf(engine, 'SIP_TLS')?.value).toBe('0.0.0.0:5061');
    expect(envOf(engine, 'SIP_WSS')?.value).toBe('0.0.0.0:8443');
    expect(envOf(engine, 'SIP_WS')).toBeUndefined();
    expect(envOf(engine, 'DRACHTIO_TLS_CERT_FILE')?.value).toBe(`${MOUNT}/tls.crt`);
    expect(envOf(engine, 'DRACHTIO_TLS_KEY_FILE')?.value).toBe(`${MOUNT}/tls.key`);
    expect(envOf(engine, 'SIP_TLS_CA_FILE')?.value).toBe(`${MOUNT}/ca.crt`);
    expect(envOf(engine, 'DRACHTIO_TLS_VERIFY_CLIENT_CERT')?.value).toBe('1');
    expect(engine.volumeMounts).toContainEqual({ name: 'sip-tls', mountPath: MOUNT, readOnly: true });
    expect(volumesOf(objects)).toContainEqual({
      name: 'sip-tls',
      secret: expect.objectContaining({ secretName: 'sip-example-net' }),
    });
    // The existing Secret is used as it is: the chart makes none.
    expect(objects.filter((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-sip-tls'))).toEqual([]);
  });

  it("gives values the engine's own config reads as two listeners, the key pair and the TLS settings", () => {
    const config = readConfig(envMap(engine));
    expect(config.SIP_TLS).toEqual([{ host: '0.0.0.0', port: 5061 }]);
    expect(config.SIP_WSS).toEqual([{ host: '0.0.0.0', port: 8443 }]);
    expect(config.SIP_WS).toEqual([]);
    expect(config.DRACHTIO_TLS_CERT_FILE).toBe(`${MOUNT}/tls.crt`);
    expect(config.DRACHTIO_TLS_VERIFY_CLIENT_CERT).toBe(true);
    expect(config.SIP_TLS_MIN_VERSION).toBe('TLSv1.3');
    expect(config.SIP_TLS_VERIFY_SERVER_CERT).toBe(true);
  });

  it('opens 5061 and 8443 over TCP on the SIP Service and the NetworkPolicy, to named container ports', () => {
    const ports = sipServicePorts(objects);
    expect(ports).toEqual([
      { name: 'sip-udp', port: 5060, targetPort: 'sip-udp', protocol: 'UDP' },
      { name: 'sip-tcp', port: 5060, targetPort: 'sip-tcp', protocol: 'TCP' },
      { name: 'sip-tls', port: 5061, targetPort: 'sip-tls', protocol: 'TCP' },
      { name: 'sip-wss', port: 8443, targetPort: 'sip-wss', protocol: 'TCP' },
    ]);
    for (const { targetPort, port, protocol } of ports)
      expect(engine.ports).toContainEqual({ name: targetPort, containerPort: port, protocol });
    expect(sipIngressPorts(objects)).toEqual(
      expect.arrayContaining([
        { port: 5061, protocol: 'TCP' },
        { port: 8443, protocol: 'TCP' },
      ]),
    );
  });

  it('stays valid against the Kubernetes schema and the rules for every container', () => {
    expect(kubernetesSchemaProblems(objects)).toEqual([]);
    expect(probeViolations(objects)).toEqual([]);
    expect(securityViolations(objects)).toEqual([]);
  });
});

describe('drachtio-server with TLS and WSS (values-production.yaml)', () => {
  const objects = render([PRODUCTION_VALUES]);
  const drachtio = engineOf(objects, 'drachtio');

  it('adds a sips: contact for tls and wss, each followed by the external address', () => {
    const args = drachtio.args ?? [];
    const contacts = args.flatMap((arg, i) => (args[i - 1] === '--contact' ? [arg] : []));
    expect(contacts).toEqual([
      'sip:*:5060;transport=udp',
      'sip:*:5060;transport=tcp',
      'sips:*:5061;transport=tls',
      'sips:*:8443;transport=wss',
    ]);
    // drachtio-server attaches --external-ip to the --contact before it, so each contact has its own.
    for (const contact of contacts) {
      const at = args.indexOf(contact);
      expect(args.slice(at + 1, at + 3)).toEqual(['--external-ip', '198.51.100.10']);
    }
  });

  it('reads the certificate from the same mounted Secret under its DRACHTIO_TLS_* variables', () => {
    expect(envOf(drachtio, 'DRACHTIO_TLS_CERT_FILE')?.value).toBe(`${MOUNT}/tls.crt`);
    expect(envOf(drachtio, 'DRACHTIO_TLS_KEY_FILE')?.value).toBe(`${MOUNT}/tls.key`);
    expect(envOf(drachtio, 'DRACHTIO_TLS_VERIFY_CLIENT_CERT')).toBeUndefined();
    expect(drachtio.volumeMounts).toContainEqual({ name: 'sip-tls', mountPath: MOUNT, readOnly: true });
    expect(volumesOf(objects)).toContainEqual({
      name: 'sip-tls',
      secret: expect.objectContaining({ secretName: 'callctl-sip-tls' }),
    });
    expect(sipServicePorts(objects).map((p) => `${p.port}/${p.protocol}`)).toEqual([
      '5060/UDP',
      '5060/TCP',
      '5061/TCP',
      '8443/TCP',
    ]);
  });
});

describe('the certificate from values, and plain WS', () => {
  const objects = render(
    [],
    [
      REQUIRED_SETTINGS,
      {
        sipEdge: {
          engine: 'callctl-sip-engine',
          sip: {
            tls: { enabled: true, port: 5071 },
            ws: { enabled: true },
            certificate: { cert: PEM_CERT, key: PEM_KEY, ca: PEM_CA },
            ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
          },
        },
      },
    ],
  );

  it('keeps the PEMs in a kubernetes.io/tls Secret it makes, and the key nowhere else', () => {
    const secret = objects.find(
      (o) => o.kind === 'Secret' && o.metadata.name === 'callctl-sip-tls',
    ) as unknown as {
      type: string;
      stringData: Record<string, string>;
    };
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.stringData).toEqual({ 'tls.crt': PEM_CERT, 'tls.key': PEM_KEY, 'ca.crt': PEM_CA });
    const elsewhere = objects.filter(
      (o) => o !== (secret as unknown) && JSON.stringify(o).includes('Sip-Tls-Key'),
    );
    expect(elsewhere).toEqual([]);
  });

  it('sets the chosen TLS port, the CA from ca.crt, the ciphers, and WS on 5066 without a certificate of its own', () => {
    const engine = engineOf(objects, 'sip-engine');
    expect(envOf(engine, 'SIP_TLS')?.value).toBe('0.0.0.0:5071');
    expect(envOf(engine, 'SIP_WS')?.value).toBe('0.0.0.0:5066');
    expect(envOf(engine, 'SIP_TLS_CA_FILE')?.value).toBe(`${MOUNT}/ca.crt`);
    expect(envOf(engine, 'SIP_TLS_CIPHERS')?.value).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(sipServicePorts(objects).map((p) => `${p.name}:${p.port}`)).toEqual([
      'sip-udp:5060',
      'sip-tcp:5060',
      'sip-tls:5071',
      'sip-ws:5066',
    ]);
  });

  it('needs no certificate for WS alone: nothing mounted', () => {
    const wsOnly = render([], [REQUIRED_SETTINGS, { sipEdge: { sip: { ws: { enabled: true } } } }]);
    const drachtio = engineOf(wsOnly, 'drachtio');
    expect(drachtio.args).toContain('sip:*:5066;transport=ws');
    expect(envOf(drachtio, 'DRACHTIO_TLS_CERT_FILE')).toBeUndefined();
    expect(volumesOf(wsOnly).map((v) => v.name)).not.toContain('sip-tls');
  });
});

describe('SIP over TLS and WebSocket off (the default)', () => {
  it('renders no secure listener, Secret, mount or port', () => {
    const objects = render([], [REQUIRED_SETTINGS, { sipEdge: { engine: 'callctl-sip-engine' } }]);
    const engine = engineOf(objects, 'sip-engine');
    for (const name of ['SIP_TLS', 'SIP_WS', 'SIP_WSS', 'DRACHTIO_TLS_CERT_FILE'])
      expect(envOf(engine, name)).toBeUndefined();
    expect(
      containersOf(sipEdgePod(objects).pod).flatMap((c) => (c as Mounted).volumeMounts ?? []),
    ).not.toContainEqual(expect.objectContaining({ name: 'sip-tls' }));
    expect(sipServicePorts(objects).map((p) => p.port)).toEqual([5060, 5060]);
    expect(objects.filter((o) => o.metadata.name.endsWith('-sip-tls'))).toEqual([]);
  });
});

describe('values.schema.json on SIP over TLS', () => {
  const SCHEMA_ERROR = "values don't meet the specifications of the schema";
  it.each([
    ['TLS without a certificate', { tls: { enabled: true } }, '/sipEdge/sip/certificate/cert'],
    ['WSS without a certificate', { wss: { enabled: true } }, '/sipEdge/sip/certificate/cert'],
    ['a key that is not PEM', { certificate: { key: 'secret' } }, '/sipEdge/sip/certificate/key'],
    ['an unknown TLS version', { minTlsVersion: 'TLSv1.1' }, '/sipEdge/sip/minTlsVersion'],
    ['a TLS port of 0', { tls: { port: 0 } }, '/sipEdge/sip/tls/port'],
  ])('refuses %s', (_, sip, path) => {
    const run = helmWithValues('template', [], [REQUIRED_SETTINGS, { sipEdge: { sip } }]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(SCHEMA_ERROR);
    expect(run.stderr).toContain(path);
  });

  it('passes helm lint --strict with TLS, WS and WSS on', () => {
    const run = helmWithValues(
      'lint',
      [],
      [
        REQUIRED_SETTINGS,
        {
          sipEdge: {
            sip: {
              tls: { enabled: true },
              ws: { enabled: true },
              wss: { enabled: true },
              certificate: { existingSecret: 'sip-tls' },
            },
          },
        },
      ],
    );
    expect(run.stderr + run.stdout).toContain('0 chart(s) failed');
    expect(run.status).toBe(0);
  });
});
