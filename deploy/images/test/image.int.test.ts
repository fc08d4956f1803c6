// An image as `make images` builds it, checked where it runs: the tts image (no database needed, and
// small) is built by deploy/images/build.sh and started inside with `buildah run --isolation chroot`,
// which shares the host's network. The base is built once and stays in buildah's storage, so only the
// first run on a machine pays for debootstrap.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitFor } from '@callctl/testing';

const REPO = join(__dirname, '..', '..', '..');
const BUILDAH_STORAGE = ['--storage-driver', 'vfs'];
const NON_ROOT_UID = 10001;
// A cold build (debootstrap, Node, espeak-ng) takes minutes on a loaded two-core box.
const BUILD_TIMEOUT_MS = 20 * 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  const options = { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } };
  return new Promise((resolve) => {
    execFile(command, args, options, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function buildah(args: readonly string[], timeoutMs?: number): Promise<Run> {
  return run('buildah', [...BUILDAH_STORAGE, ...args], timeoutMs);
}

/** The image's Docker config (Entrypoint, User, Healthcheck, ...). */
interface ImageConfig {
  Entrypoint: string[];
  User: string;
  WorkingDir: string;
  Healthcheck?: { Test: string[] };
}

/** Every process below `pid` (chroot isolation runs them as host processes). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while the table was read.
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

describe('the tts image', () => {
  let image: string;
  let container: string;
  let config: ImageConfig;

  beforeAll(async () => {
    // IMAGES_REBUILD: buildah runs even when an image of the same inputs exists (its cached steps apply).
    const built = await run(join(REPO, 'deploy', 'images', 'build.sh'), ['tts'], BUILD_TIMEOUT_MS, {
      IMAGES_REBUILD: '1',
    });
    if (built.code !== 0) throw new Error(`build.sh tts failed (${built.code}):\n${built.stderr}`);
    // "<service> <tag> <size>"
    image = built.stdout.trim().split('\n').pop()!.split(' ')[1]!;
    const inspected = await buildah(['inspect', '--type', 'image', image]);
    config = (JSON.parse(inspected.stdout) as { Docker: { config: ImageConfig } }).Docker.config;
    container = (await buildah(['from', '--quiet', '--pull-never', image])).stdout.trim();
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (container) await buildah(['rm', container]);
  });

  it('is tagged with a version, never latest', () => {
    expect(image).toMatch(/^localhost\/callctl\/tts:\d+\.\d+\.\d+$/);
  });

  it('starts from its entrypoint as a non-root user, answers its health check SERVING, and drains on SIGTERM', async () => {
    // Exec form: node itself is what the runtime starts and signals, no shell in between.
    expect(config.Entrypoint[0]).toBe('node');
    expect(config.User).toBe(`${NON_ROOT_UID}:${NON_ROOT_UID}`);
    const port = await freePort();
    const service = startProcess('buildah', [
      ...BUILDAH_STORAGE,
      'run',
      '--isolation',
      'chroot',
      '--env',
      'GRPC_HOST=127.0.0.1',
      '--env',
      `GRPC_PORT=${port}`,
      container,
      '--',
      ...config.Entrypoint,
    ]);
    try {
      // The image's own HEALTHCHECK command, run inside the image beside the service.
      const healthcheck = config.Healthcheck!.Test;
      expect(healthcheck[0]).toBe('CMD-SHELL');
      let last: Run | undefined;
      await waitFor(
        'the health check to answer SERVING',
        async () => {
          if (service.child.exitCode !== null) throw new Error(`tts exited:\n${service.output()}`);
          last = await buildah([
            'run',
            '--isolation',
            'chroot',
            '--env',
            `GRPC_PORT=${port}`,
            container,
            '--',
            'sh',
            '-c',
            healthcheck[1]!,
          ]);
          return last.code === 0 && last.stdout.trim() === 'SERVING';
        },
        60_000,
        500,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nlast check: ${JSON.stringify(last)}\ntts:\n${service.output()}`);
      });

      // The node process itself (buildah's chroot helper above it names the same command line).
      const node = descendants(service.child.pid!).find((pid) => {
        const [command, ...args] = cmdlineOf(pid);
        return /(^|\/)node$/.test(command ?? '') && args.includes('dist/src/main.js');
      });
      expect(node).toBeDefined();
      expect(uidOf(node!)).toBe(NON_ROOT_UID);

      // What a container runtime does on stop: SIGTERM to the entrypoint's process.
      // buildah's own exit status after its child ended is no evidence (buildah 1.28 can panic there), so
      // the service's log says how it ended: "stopped" without a failed close or a timeout is exit status 0.
      process.kill(node!, 'SIGTERM');
      await service.exited;
      expect(service.output()).toContain('"signal":"SIGTERM","msg":"shutting down"');
      expect(service.output()).toContain('"msg":"stopped"');
      expect(service.output()).not.toContain('drain timed out');
      expect(service.output()).not.toContain('close failed');
    } finally {
      await service.stop();
    }
  }, 120_000);

  it('holds no devDependency, no TypeScript source and no test', async () => {
    const listed = await buildah([
      'run',
      '--isolation',
      'chroot',
      container,
      '--',
      'sh',
      '-c',
      'ls /app/node_modules /app/node_modules/@callctl; find /app -name "*.ts"; find /app/libs /app/services -name "*.test.js"',
    ]);
    expect(listed.code).toBe(0);
    const entries = listed.stdout.split('\n');
    // Production dependencies are there (the probe itself needs grpc-js)...
    expect(entries).toContain('@grpc');
    expect(entries).toContain('proto');
    // ...the root's and tts's devDependencies are not, nor any TypeScript file, nor a test of ours.
    for (const dev of ['typescript', 'jest', '@swc', 'eslint', 'testing', 'ts-proto', 'prisma']) {
      expect(entries).not.toContain(dev);
    }
    expect(entries.filter((e) => e.endsWith('.ts') || e.endsWith('.test.js'))).toEqual([]);
  }, 60_000);
});
