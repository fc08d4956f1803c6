import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UrlCache, type UrlCacheOptions } from './url-cache.js';

describe('URL media cache (real HTTP server on loopback)', () => {
  let http: Server;
  let base: string;
  let dir: string;
  const requests: string[] = [];
  /** What the server answers per path; tests change it to see whether the cache fetched again. */
  const bodies = new Map<string, string>();
  let clock = 1_700_000_000_000;

  const cache = (options: Partial<UrlCacheOptions> = {}) =>
    new UrlCache({
      dir,
      timeoutMs: 5000,
      maxBytes: 1_000_000,
      maxAgeMs: 60_000,
      maxTotalBytes: 1_000_000,
      now: () => clock,
      ...options,
    });

  beforeAll(async () => {
    http = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = bodies.get(req.url ?? '');
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200).end(body);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'url-cache-'));
    requests.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  it('passes a readable local path through and refuses a missing one as not found, naming only the file', async () => {
    const file = join(dir, 'prompt.wav');
    writeFileSync(file, 'RIFF');
    await expect(cache().resolve(file)).resolves.toBe(file);
    // The message goes back to the application: the file's name, not where this host keeps it.
    await expect(cache().resolve(join(dir, 'missing.wav'))).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'media file not found: missing.wav',
    });
    await expect(cache().resolve('prompt.wav')).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('reuses a download within its maximum age without asking the server again', async () => {
    bodies.set('/a.wav', 'first');
    const urls = cache();
    const file = await urls.resolve(`${base}/a.wav`);
    bodies.set('/a.wav', 'second');
    clock += 59_000;
    expect(await urls.resolve(`${base}/a.wav`)).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('first');
    expect(requests).toEqual(['/a.wav']);
  });

  it('serves concurrent plays of one uncached URL from a single download', async () => {
    bodies.set('/same.wav', 'shared prompt');
    const urls = cache();
    const files = await Promise.all([1, 2, 3, 4].map(() => urls.resolve(`${base}/same.wav`)));
    expect(new Set(files).size).toBe(1);
    expect(readFileSync(files[0]!, 'utf8')).toBe('shared prompt');
    expect(requests).toEqual(['/same.wav']);
    expect(readdirSync(dir).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('downloads again once the file is older than its maximum age', async () => {
    bodies.set('/b.wav', 'old prompt');
    const urls = cache();
    const file = await urls.resolve(`${base}/b.wav`);
    bodies.set('/b.wav', 'new prompt');
    clock += 61_000;
    expect(await urls.resolve(`${base}/b.wav`)).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('new prompt');
    expect(requests).toEqual(['/b.wav', '/b.wav']);
  });

  it('removes the least recently used downloads beyond the size bound and keeps the one just used', async () => {
    for (const name of ['c1', 'c2', 'c3']) bodies.set(`/${name}.wav`, 'x'.repeat(100));
    const urls = cache({ maxTotalBytes: 250 });
    const c1 = await urls.resolve(`${base}/c1.wav`);
    clock += 1000;
    const c2 = await urls.resolve(`${base}/c2.wav`);
    clock += 1000;
    // c1 played again: now c2 is the least recently used.
    await urls.resolve(`${base}/c1.wav`);
    clock += 1000;
    const c3 = await urls.resolve(`${base}/c3.wav`);
    const kept = readdirSync(dir).map((name) => join(dir, name));
    expect(kept.sort()).toEqual([c1, c3].sort());
    expect(kept).not.toContain(c2);
  });
});
