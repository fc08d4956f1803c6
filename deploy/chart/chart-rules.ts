// The project's rules for what the chart renders, as pure checks over the rendered objects: each returns
// the list of violations ("<kind>/<name> <container>: <what>"), empty when the rule holds.
import type { K8sObject } from './render';

/** The probe kinds the chart uses. */
export interface Probe {
  grpc?: { port: number };
  tcpSocket?: { port: number | string };
  httpGet?: { port: number | string; path?: string };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  image: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  restartPolicy?: string;
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  args?: string[];
  lifecycle?: { preStop?: unknown };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  dnsPolicy?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}

export interface Workload {
  object: K8sObject;
  pod: PodSpec;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((object) => WORKLOAD_KINDS.has(object.kind))
    .map((object) => ({
      object,
      pod: (object as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec,
    }));
}

/** Every container of the pod, sidecars (init containers that keep running) and plain init containers too. */
export function containersOf(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

const where = (w: Workload, c: Container) => `${w.object.kind}/${w.object.metadata.name} ${c.name}`;

export function resourceViolations(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    containersOf(w.pod).flatMap((c) =>
      (['requests', 'limits'] as const).flatMap((kind) =>
        ['cpu', 'memory']
          .filter((resource) => c.resources?.[kind]?.[resource] === undefined)
          .map((resource) => `${where(w, c)}: no ${resource} in resources.${kind}`),
      ),
    ),
  );
}

/**
 * Readiness and liveness probes on every long-running container. A Job's container runs to completion:
 * a probe there would only restart a migration half-way, so Jobs are the exception.
 */
export function probeViolations(objects: K8sObject[]): string[] {
  return workloads(objects)
    .filter((w) => w.object.kind !== 'Job')
    .flatMap((w) =>
      containersOf(w.pod).flatMap((c) => [
        ...(c.readinessProbe ? [] : [`${where(w, c)}: no readinessProbe`]),
        ...(c.livenessProbe ? [] : [`${where(w, c)}: no livenessProbe`]),
      ]),
    );
}

/** Non-root, no privilege escalation, every capability dropped and none added, read-only root. */
export function securityViolations(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    containersOf(w.pod).flatMap((c) => {
      const pod = w.pod.securityContext ?? {};
      const own = c.securityContext ?? {};
      const problems: string[] = [];
      if (!(own.runAsNonRoot ?? pod.runAsNonRoot)) problems.push('may run as root');
      if ((own.runAsUser ?? pod.runAsUser) === 0) problems.push('runs as uid 0');
      if (own.allowPrivilegeEscalation !== false) problems.push('allows privilege escalation');
      if (!own.capabilities?.drop?.includes('ALL')) problems.push('does not drop ALL capabilities');
      if (own.capabilities?.add?.length) problems.push(`adds capabilities ${own.capabilities.add.join(',')}`);
      if (own.readOnlyRootFilesystem !== true) problems.push('has a writable root filesystem');
      if (w.pod.automountServiceAccountToken !== false) problems.push('mounts a service account token');
      return problems.map((problem) => `${where(w, c)}: ${problem}`);
    }),
  );
}

/** The tag of an image reference (after the last ':' that is not part of a registry host:port). */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon < 0 ? undefined : withoutDigest.slice(colon + 1);
}

export function imageTagViolations(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    containersOf(w.pod).flatMap((c) => {
      const tag = imageTag(c.image);
      if (!tag) return [`${where(w, c)}: image ${c.image} has no tag`];
      if (tag === 'latest') return [`${where(w, c)}: image ${c.image} is latest`];
      return [];
    }),
  );
}

/**
 * Environment values are strings the services parse: a number helm printed as a float (1e+07, 0.5e3)
 * would be refused by their integer settings.
 */
export function envNumberViolations(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    containersOf(w.pod).flatMap((c) =>
      (c.env ?? [])
        .filter((variable) => /^-?\d+(\.\d+)?e[+-]?\d+$/i.test(variable.value ?? ''))
        .map((variable) => `${where(w, c)}: ${variable.name}=${variable.value}`),
    ),
  );
}

/** Where each given secret value appears outside a Secret: ConfigMaps, plain env values, anything else. */
export function secretLeaks(objects: K8sObject[], secretValues: string[]): string[] {
  return objects
    .filter((object) => object.kind !== 'Secret')
    .flatMap((object) => {
      const text = JSON.stringify(object);
      return secretValues
        .filter((value) => text.includes(value))
        .map((value) => `${object.kind}/${object.metadata.name} contains the secret value ${value}`);
    });
}

export function envOf(container: Container, name: string) {
  return container.env?.find((variable) => variable.name === name);
}

export function findWorkload(objects: K8sObject[], kind: string, nameSuffix: string): Workload {
  const found = workloads(objects).find(
    (w) => w.object.kind === kind && w.object.metadata.name.endsWith(nameSuffix),
  );
  if (!found) throw new Error(`no ${kind} named *${nameSuffix}`);
  return found;
}

export function findContainer(workload: Workload, name: string): Container {
  const found = containersOf(workload.pod).find((c) => c.name === name);
  if (!found) throw new Error(`${workload.object.metadata.name} has no container ${name}`);
  return found;
}
