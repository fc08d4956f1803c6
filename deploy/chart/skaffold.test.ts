// skaffold.yaml (no skaffold binary here): its structure, that it builds every service from its own
// Dockerfile with a BASE_IMAGE, and that the values it hands the chart exist and render.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { findContainer, findWorkload, workloads, containersOf } from './chart-rules';
import { REPO_ROOT } from './helm-binary';
import { CHART_DIR, render } from './render';

jest.setTimeout(60_000);

interface Artifact {
  image: string;
  context: string;
  hooks?: { before?: { command: string[] }[] };
  docker?: { dockerfile: string; buildArgs?: Record<string, string> };
}
interface Release {
  name: string;
  chartPath: string;
  valuesFiles: string[];
  setValueTemplates: Record<string, string>;
}
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: { artifacts: Artifact[] };
  deploy: { helm: { releases: Release[] } };
  profiles: { name: string; patches: { op: string; path: string; value: unknown }[] }[];
}

const config = parse(readFileSync(join(REPO_ROOT, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
const services = readdirSync(join(REPO_ROOT, 'services')).filter((name) =>
  existsSync(join(REPO_ROOT, 'services', name, 'package.json')),
);
const release = config.deploy.helm.releases[0]!;

/** What skaffold substitutes for {{.IMAGE_REPO_x}} / {{.IMAGE_TAG_x}} (x: the image, non-alphanumerics as _). */
function substitute(template: string, built: Map<string, { repo: string; tag: string }>): string {
  return template.replace(/\{\{\.IMAGE_(REPO|TAG)_([A-Za-z0-9_]+)\}\}/g, (_, part: string, key: string) => {
    const image = built.get(key);
    if (!image) throw new Error(`no artifact for ${key}`);
    return part === 'REPO' ? image.repo : image.tag;
  });
}

function setPath(target: Record<string, unknown>, path: string, value: string) {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
}

function hasPath(values: Record<string, unknown>, path: string): boolean {
  let at: unknown = values;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || !(key in at)) return false;
    at = (at as Record<string, unknown>)[key];
  }
  return true;
}

describe('skaffold.yaml', () => {
  it('is a skaffold v4beta Config', () => {
    expect(config.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(config.kind).toBe('Config');
  });

  it('builds every service, and the migration image, from its own Dockerfile over its pruned context, with a BASE_IMAGE', () => {
    expect(config.build.artifacts.map((a) => a.image).sort()).toEqual(
      [...services, 'db-migrate'].map((s) => `callctl/${s}`).sort(),
    );
    for (const artifact of config.build.artifacts) {
      const service = artifact.image.replace('callctl/', '');
      const dockerfile = service === 'db-migrate' ? 'libs/db/Dockerfile' : `services/${service}/Dockerfile`;
      expect(resolve(REPO_ROOT, artifact.context, artifact.docker!.dockerfile)).toBe(
        join(REPO_ROOT, dockerfile),
      );
      expect(existsSync(join(REPO_ROOT, dockerfile))).toBe(true);
      expect(artifact.context).toBe(`.state/images/${service}/context`);
      expect(artifact.hooks?.before?.[0]?.command).toEqual(['node', 'deploy/images/context.js', service]);
      expect(artifact.docker!.buildArgs?.BASE_IMAGE).toMatch(/node:20/);
    }
  });

  it('deploys charts/callctl, handing it every image it built under value names the chart has', () => {
    expect(resolve(REPO_ROOT, release.chartPath)).toBe(CHART_DIR);
    const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    for (const path of Object.keys(release.setValueTemplates))
      expect([path, hasPath(defaults, path)]).toEqual([path, true]);
    const templates = Object.values(release.setValueTemplates).join(' ');
    for (const artifact of config.build.artifacts) {
      const key = artifact.image.replace(/[^A-Za-z0-9]/g, '_');
      expect(templates).toContain(`{{.IMAGE_REPO_${key}}}`);
      expect(templates).toContain(`{{.IMAGE_TAG_${key}}}`);
    }
    for (const file of release.valuesFiles) expect(existsSync(join(REPO_ROOT, file))).toBe(true);
  });

  it('has a dev profile that deploys with values-dev.yaml', () => {
    const dev = config.profiles.find((p) => p.name === 'dev');
    const patch = dev?.patches.find((p) => p.path === '/deploy/helm/releases/0/valuesFiles');
    expect(patch?.value).toEqual(['charts/callctl/values-dev.yaml']);
    expect(existsSync(join(REPO_ROOT, 'charts/callctl/values-dev.yaml'))).toBe(true);
  });

  it.each([
    ['the default profile', release.valuesFiles],
    ['the dev profile', ['charts/callctl/values-dev.yaml']],
  ])('renders with %s and runs exactly the images skaffold built', (_, valuesFiles) => {
    const built = new Map(
      config.build.artifacts.map((a) => [
        a.image.replace(/[^A-Za-z0-9]/g, '_'),
        { repo: `registry.test/${a.image}`, tag: `abc1234` },
      ]),
    );
    const values: Record<string, unknown> = {};
    for (const [path, template] of Object.entries(release.setValueTemplates))
      setPath(values, path, substitute(template, built));
    const objects = render(
      valuesFiles.map((file) => join(REPO_ROOT, file)),
      [values, { sipEdge: { engine: 'callctl-sip-engine' } }],
    );
    const images = new Set(
      workloads(objects)
        .flatMap((w) => containersOf(w.pod))
        .map((c) => c.image)
        .filter((image) => image.includes('/callctl/')),
    );
    expect([...images].sort()).toEqual(
      config.build.artifacts.map((a) => `registry.test/${a.image}:abc1234`).sort(),
    );
    const migrations = findContainer(findWorkload(objects, 'Job', '-migrations-1'), 'migrations');
    expect(migrations.image).toBe('registry.test/callctl/db-migrate:abc1234');
  });
});
