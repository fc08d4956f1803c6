// Prepares the build context of one service's image in .state/images/<service>/context: its compiled
// workspace packages (its own and the libs it depends on, transitively; production dependencies only),
// the production npm dependencies they need, and healthcheck.js. The context holds no TypeScript source,
// no test, no declaration and nothing from devDependencies, so the Dockerfile copies only what runs.
//
// The npm install is workspace-aware (`npm ci --omit=dev --workspace`) against the committed lockfile, and
// is redone only when the lockfile or a package.json changed; the rest is a copy of dist files.
//
// One image is not a service's: db-migrate, the Prisma CLI with libs/db's schema and migrations, for the
// migration job that runs before the services start (Helm hook). Its context keeps the CLI (a
// devDependency of libs/db) and the TypeScript config the CLI loads itself.
//
// Usage: node deploy/images/context.js <service>|db-migrate   (prints the context directory)
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every workspace package by name, with its directory relative to the repository. */
function workspaces() {
  const byName = new Map();
  for (const parent of ['libs', 'services', 'e2e']) {
    const dir = path.join(root, parent);
    const dirs = fs.existsSync(path.join(dir, 'package.json'))
      ? [parent]
      : fs.readdirSync(dir).map((name) => path.join(parent, name));
    for (const relative of dirs) {
      const manifest = path.join(root, relative, 'package.json');
      if (fs.existsSync(manifest)) byName.set(readJson(manifest).name, { dir: relative, manifest });
    }
  }
  return byName;
}

/** The service's package and every workspace package its production dependencies reach. */
function workspaceClosure(all, start) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !all.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(readJson(all.get(name).manifest).dependencies ?? {})) visit(dep);
  };
  visit(start);
  return [...seen].map((name) => ({ name, ...all.get(name) }));
}

// --omit=optional for every image: @prisma/client names the Prisma CLI and typescript as optional peers, which
// npm would otherwise install (70 MB of build tools). What else is optional is for other platforms
// (pg-cloudflare); the services depend on nothing optional.
const NPM_CI_ARGS = [
  'ci',
  '--omit=optional',
  '--ignore-scripts',
  '--prefer-offline',
  '--no-audit',
  '--no-fund',
  '--loglevel=error',
];

/** Production node_modules for the workspace, reinstalled only when a manifest or the lockfile changed. */
function installDependencies(all, packageName, installDir, npmArgs) {
  const manifests = [path.join(root, 'package.json'), path.join(root, 'package-lock.json')].concat(
    [...all.values()].map((w) => w.manifest).sort(),
  );
  const hash = createHash('sha256').update(npmArgs.join(' '));
  for (const file of manifests) hash.update(file).update(fs.readFileSync(file));
  const stamp = hash.digest('hex');
  const stampFile = path.join(installDir, '.installed');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;

  fs.rmSync(installDir, { recursive: true, force: true });
  // npm ci checks the lockfile against every workspace, so every workspace's package.json is there.
  for (const file of manifests) {
    const target = path.join(installDir, path.relative(root, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  execFileSync('npm', [...npmArgs, `--workspace=${packageName}`], {
    cwd: installDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  fs.writeFileSync(stampFile, stamp);
}

// What runs: compiled JavaScript and the files packages read at runtime (JSON, WASM, protos...). Types,
// source maps and TypeScript sources are for the compiler and the debugger on a developer's machine.
const NOT_AT_RUNTIME = /(\.d\.ts|\.d\.cts|\.d\.mts|\.map|\.ts|\.tsbuildinfo)$/;
const TESTS = /\.(unit|int|e2e)\.test\.js$|\.test\.js$/;

function copyDist(workspace, appDir) {
  const from = path.join(root, workspace.dir);
  const to = path.join(appDir, workspace.dir);
  const dist = path.join(from, 'dist', 'src');
  if (!fs.existsSync(dist)) throw new Error(`${workspace.name}: ${dist} missing; run \`npx tsc -b\` first`);
  fs.mkdirSync(to, { recursive: true });
  fs.copyFileSync(path.join(from, 'package.json'), path.join(to, 'package.json'));
  fs.cpSync(dist, path.join(to, 'dist', 'src'), {
    recursive: true,
    filter: (file) => !NOT_AT_RUNTIME.test(file) && !TESTS.test(file),
  });
}

/** What goes into the image of `target`: the workspaces, how their dependencies are installed, extra files. */
function imagePlan(all, target) {
  if (target === 'db-migrate') {
    return {
      packageName: '@callctl/db',
      closure: [],
      npmArgs: [...NPM_CI_ARGS, '--include=dev'],
      files: ['libs/db/package.json', 'libs/db/prisma.config.ts', 'libs/db/prisma', 'libs/db/scripts'],
    };
  }
  const manifest = path.join(root, 'services', target, 'package.json');
  if (!fs.existsSync(manifest)) throw new Error(`no service ${target} (services/${target})`);
  const packageName = readJson(manifest).name;
  return {
    packageName,
    closure: workspaceClosure(all, packageName),
    npmArgs: [...NPM_CI_ARGS, '--omit=dev'],
    files: [],
  };
}

function main() {
  const target = process.argv[2];
  if (!target) throw new Error('usage: node deploy/images/context.js <service>|db-migrate');
  const all = workspaces();
  const plan = imagePlan(all, target);
  const stateDir = path.join(root, '.state', 'images', target);
  const installDir = path.join(stateDir, 'install');
  installDependencies(all, plan.packageName, installDir, plan.npmArgs);

  const appDir = path.join(stateDir, 'context', 'app');
  fs.rmSync(path.join(stateDir, 'context'), { recursive: true, force: true });
  fs.mkdirSync(appDir, { recursive: true });
  const copyModules = (from, to) =>
    fs.cpSync(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (file) => !NOT_AT_RUNTIME.test(file) && !file.includes(`${path.sep}@types${path.sep}`),
    });
  copyModules(path.join(installDir, 'node_modules'), path.join(appDir, 'node_modules'));
  // A workspace whose dependency version differs from the hoisted one has it in its own node_modules.
  for (const workspace of plan.closure) {
    const nested = path.join(installDir, workspace.dir, 'node_modules');
    if (fs.existsSync(nested)) copyModules(nested, path.join(appDir, workspace.dir, 'node_modules'));
  }
  // npm links every workspace the package names, dev ones too; only the production closure is copied, so
  // the links to the others (e.g. @callctl/testing) go.
  const scope = path.join(appDir, 'node_modules', '@callctl');
  const kept = new Set(plan.closure.map((w) => w.name.split('/')[1]));
  for (const link of fs.readdirSync(scope)) if (!kept.has(link)) fs.rmSync(path.join(scope, link));
  for (const workspace of plan.closure) copyDist(workspace, appDir);
  for (const file of plan.files)
    fs.cpSync(path.join(root, file), path.join(appDir, file), { recursive: true });

  const rootManifest = readJson(path.join(root, 'package.json'));
  const appManifest = { name: rootManifest.name, private: true, license: rootManifest.license };
  fs.writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify(appManifest, null, 2)}\n`);
  fs.copyFileSync(path.join(__dirname, 'healthcheck.js'), path.join(appDir, 'healthcheck.js'));
  process.stdout.write(`${path.join(stateDir, 'context')}\n`);
}

main();
