import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UrlCache, type UrlCacheOptions } from './url-cache.js';
import { parseUrlAllowList } from '../../domain/address-policy.js';

describe('URL media cache (real HTTP server on loopback)', () => {
  let http: Server;
  let base: string;
  let dir: string;
  const requests: string[] = [];
  /** What the server answers per path; tests change it to see whether the cache fetched again. */
  const bodies = new Map<string, string>();
  /** Paths answered with a 302 to the given location. */
  const redirects = new Map<string, string>();
  let clock = 1_700_000_000_000;

  const cache = (options: Partial<UrlCacheOptions> = {}) =>
    new UrlCache({
      dir,
      timeoutMs: 5000,
      maxBytes: 1_000_000,
      maxAgeMs: 60_000,
      maxTotalBytes: 1_000_000,
      now: () => clock,
      // The test server listens on loopback, refused by default.
      allow: parseUrlAllowList('127.0.0.1/32'),
      ...options,
    });

  beforeAll(async () => {
    http = createServer((req, res) => {
      requests.push(req.url ?? '');
      const redirect = redirects.get(req.url ?? '');
      if (redirect !== undefined) {
        res.writeHead(302, { location: redirect }).end();
        return;
      }
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

  it('fetches a stored media id again once another worker sharing the directory removed it', async () => {
    const fetched: string[] = [];
    const stores = {
      tts: (id: string) => {
        fetched.push(id);
        return Promise.resolve(Buffer.from(`RIFF ${id}`));
      },
    };
    const worker = cache({ stores });
    const file = await worker.resolve('tts:tts-1');
    expect(await worker.resolve('tts:tts-1')).toBe(file);
    expect(fetched).toEqual(['tts-1']);
    rmSync(file); // another worker's eviction
    clock += 6_000;
    expect(await worker.resolve('tts:tts-1')).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('RIFF tts-1');
    expect(fetched).toEqual(['tts-1', 'tts-1']);
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

  describe('URL safety (SSRF)', () => {
    it('refuses loopback by default, naming the address class and MEDIA_URL_ALLOW, and fetches nothing', async () => {
      bodies.set('/ssrf.wav', 'secret');
      await expect(cache({ allow: parseUrlAllowList('') }).resolve(`${base}/ssrf.wav`)).rejects.toMatchObject(
        {
          name: 'ValidationError',
          message: expect.stringMatching(/127\.0\.0\.1 is a loopback address .*MEDIA_URL_ALLOW/),
        },
      );
      expect(requests).toEqual([]);
    });

    it('refuses the cloud metadata address by default, before any connection', async () => {
      await expect(
        cache({ allow: parseUrlAllowList('') }).resolve('http://169.254.169.254/latest/meta-data/x.wav'),
      ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/link-local/) });
    });

    it('refuses a scheme other than http(s) and a loopback host named by IPv6 or mapped form', async () => {
      const strict = cache({ allow: parseUrlAllowList('') });
      await expect(strict.resolve('ftp://example.com/a.wav')).rejects.toMatchObject({
        name: 'ValidationError',
      });
      await expect(strict.resolve('http://[::ffff:127.0.0.1]:1/a.wav')).rejects.toMatchObject({
        message: expect.stringMatching(/loopback/),
      });
      await expect(strict.resolve('http://[::1]:1/a.wav')).rejects.toMatchObject({
        message: expect.stringMatching(/loopback/),
      });
    });

    it('downloads from an allowed loopback address', async () => {
      bodies.set('/ok.wav', 'allowed prompt');
      const file = await cache().resolve(`${base}/ok.wav`);
      expect(readFileSync(file, 'utf8')).toBe('allowed prompt');
    });

    it('re-checks each redirect: from an allowed address to a refused one is refused', async () => {
      // The host name localhost is allowed (it resolves to 127.0.0.1), the address 127.0.0.1 is not.
      const port = (http.address() as { port: number }).port;
      bodies.set('/target.wav', 'must not be fetched');
      redirects.set('/hop.wav', `http://127.0.0.1:${port}/target.wav`);
      redirects.set('/hop-ok.wav', `http://localhost:${port}/ok2.wav`);
      bodies.set('/ok2.wav', 'redirected prompt');
      const urls = cache({ allow: parseUrlAllowList('localhost') });
      await expect(urls.resolve(`http://localhost:${port}/hop.wav`)).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringMatching(/127\.0\.0\.1 is a loopback address/),
      });
      expect(requests).toEqual(['/hop.wav']);
      // A redirect to an allowed address is followed.
      const file = await urls.resolve(`http://localhost:${port}/hop-ok.wav`);
      expect(readFileSync(file, 'utf8')).toBe('redirected prompt');
    });

    it('gives up after three redirects', async () => {
      for (let i = 0; i < 5; i++) redirects.set(`/loop${i}.wav`, `/loop${i + 1}.wav`);
      await expect(cache().resolve(`${base}/loop0.wav`)).rejects.toMatchObject({
        name: 'UnavailableError',
        message: expect.stringMatching(/more than 3/),
      });
      expect(requests).toEqual(['/loop0.wav', '/loop1.wav', '/loop2.wav', '/loop3.wav']);
    });
  });
});
