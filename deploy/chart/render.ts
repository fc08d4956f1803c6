// helm template/lint against charts/callctl, and the rendered manifests as plain objects.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary, REPO_ROOT } from './helm-binary';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'callctl');
export const DEV_VALUES = join(CHART_DIR, 'values-dev.yaml');
export const PRODUCTION_VALUES = join(CHART_DIR, 'values-production.yaml');

/** What the default values lack for an install (values.yaml's header lists them). */
export const REQUIRED_SETTINGS = {
  database: { url: 'postgres://callctl:pw@postgres.example:5432/callctl' },
  nats: { url: 'nats://nats.example:4222' },
  api: { tls: { secretName: 'callctl-api-tls' }, tokens: 'token-file-content' },
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmRun {
  const run = spawnSync(helmBinary(), args, { encoding: 'utf8', cwd: REPO_ROOT, timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Values as -f files: the given files first, then each override object (JSON is YAML), later wins. */
function valuesArgs(files: string[], overrides: object[], dir: string): string[] {
  const args = files.flatMap((file) => ['-f', file]);
  overrides.forEach((values, i) => {
    const file = join(dir, `override-${i}.json`);
    writeFileSync(file, JSON.stringify(values));
    args.push('-f', file);
  });
  return args;
}

export function helmWithValues(
  command: 'template' | 'lint',
  files: string[],
  overrides: object[] = [],
): HelmRun {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-chart-'));
  try {
    const head =
      command === 'template' ? ['template', 'callctl', CHART_DIR] : ['lint', '--strict', CHART_DIR];
    return helm([...head, '--namespace', 'voice', ...valuesArgs(files, overrides, dir)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** helm template; throws with helm's error output when rendering fails. */
export function render(files: string[], overrides: object[] = []): K8sObject[] {
  const run = helmWithValues('template', files, overrides);
  if (run.status !== 0) throw new Error(`helm template failed:\n${run.stderr}`);
  return parseManifests(run.stdout);
}
