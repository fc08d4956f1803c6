// Kubernetes schema validation of rendered objects (validate-objects.mjs, in a node of its own).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './helm-binary';
import type { K8sObject } from './render';

export interface SchemaProblem {
  kind: string;
  name: string;
  error: string;
}

export function kubernetesSchemaProblems(objects: K8sObject[]): SchemaProblem[] {
  const output = execFileSync(process.execPath, [join(__dirname, 'validate-objects.mjs')], {
    cwd: REPO_ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(output) as SchemaProblem[];
}
